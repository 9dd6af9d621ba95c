// goprobe: a Go workload for the learned-profile tests. The Go runtime makes
// its threads with raw clone calls (no libc, no clone3), serves and fetches a
// page over loopback TCP, and writes and reads a file: a profile learned from
// one run must let the next run do all of it.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
)

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen", err)
	}
	go http.Serve(listener, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from goprobe\n")
	}))
	var wg sync.WaitGroup
	bodies := make([]string, 4)
	for i := range bodies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := http.Get("http://" + listener.Addr().String() + "/")
			if err != nil {
				fail("get", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			bodies[i] = string(b)
		}(i)
	}
	wg.Wait()
	dir, err := os.MkdirTemp("", "goprobe")
	if err != nil {
		fail("mkdtemp", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "page")
	if err := os.WriteFile(path, []byte(bodies[0]), 0o600); err != nil {
		fail("write", err)
	}
	back, err := os.ReadFile(path)
	if err != nil || string(back) != bodies[3] {
		fail("read", err)
	}
	fmt.Print("goprobe ok: ", string(back))
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "goprobe: %s: %v\n", what, err)
	os.Exit(1)
}
