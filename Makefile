# seccomp-forge — build, test, demo, bench.
#   make demo    install what is missing, build, run observe → profile → sandbox → complain, narrated
#   make test    install what is missing, build, run every test (kernel tests need root)
#   make bench   compiler against libseccomp, observer overhead, launch overhead: docs/benchmarks*.md
#   make install the tools, bundled profiles, man pages, shell completions, systemd unit, OCI hook: docs/install.md
SWIFT      ?= swift
BUILD      := .build
RELEASE    := $(BUILD)/release
HELPERS    := $(BUILD)/helpers
SWIFTFLAGS := -c release --static-swift-stdlib
DEB_PACKAGES := libseccomp-dev gcc-multilib python3 libbpf-dev bpftool libelf-dev zlib1g-dev strace bubblewrap runc busybox-static libcurl4-openssl-dev prometheus prometheus-node-exporter iproute2 podman \
	man-db groff-base zsh fish golang-go
# Peers the benchmarks measure against, installed by make bench only.
BENCH_PACKAGES := bpftrace hyperfine
BPF        := $(BUILD)/bpf
CLANG      ?= clang
# The BPF target's pt_regs layout: the kernel's name for this machine's architecture.
BPF_ARCH   := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/i.86/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')
DOCKER_DEFAULT ?= corpus/docker/default.json
# Seconds the --all agent soaks under load in make bench.
ALL_SOAK   ?= 600

.PHONY: install install-built all build bpf deps bench-deps install-packages helpers tables check-tables test demo bench clean \
	man man-pages manual-tool completions completion-scripts

all: build

PREFIX  ?= /usr/local
DESTDIR ?=
# Where podman and CRI-O look for hook descriptions (besides /usr/share/containers/oci/hooks.d).
HOOKSDIR ?= /etc/containers/oci/hooks.d

# Man pages installed gzipped (gzip -9n); MAN_GZIP=no installs them as they are.
MAN_GZIP ?= yes
# Where each shell looks for completions under PREFIX (Debian's zsh reads
# /usr/share/zsh/vendor-completions rather than site-functions: a package says so here).
BASH_COMPLETIONS_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETIONS_DIR  ?= $(PREFIX)/share/zsh/site-functions
FISH_COMPLETIONS_DIR ?= $(PREFIX)/share/fish/vendor_completions.d

TOOLS        := seccomp-profile seccomp-observe seccomp-sandbox
# The tools whose man pages and completions come from their ArgumentParser definitions;
# seccomp-sandbox's are written by hand (docs/man, tools/completions).
PARSER_TOOLS := seccomp-profile seccomp-observe
VERSION      := $(shell cat VERSION)
MAN          := $(BUILD)/man
COMPLETIONS  := $(BUILD)/completions
# swift-argument-parser's man page generator, built by make manual-tool.
GENERATE_MANUAL ?= $(RELEASE)/generate-manual
# The pages' date: the last commit's, so that the same sources make the same pages.
MAN_DATE     := $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)

# The three tools, their bundled profiles, man pages and shell completions, the agent's
# systemd unit and podman's hook description (docs/install.md).
install: build manual-tool
	@$(MAKE) --no-print-directory install-built

# make install without building: what RELEASE holds (the tests give their own RELEASE,
# BUILD and DESTDIR).
install-built: man-pages completion-scripts
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(addprefix $(RELEASE)/,$(TOOLS)) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/seccomp-forge/profiles
	install -m 0644 profiles/*.json $(DESTDIR)$(PREFIX)/share/seccomp-forge/profiles/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	for page in $(TOOLS); do \
	  if [ "$(MAN_GZIP)" = yes ]; then \
	    gzip -9nc $(MAN)/$$page.1 > $(DESTDIR)$(PREFIX)/share/man/man1/$$page.1.gz && chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man1/$$page.1.gz || exit 1; \
	  else \
	    install -m 0644 $(MAN)/$$page.1 $(DESTDIR)$(PREFIX)/share/man/man1/ || exit 1; \
	  fi; \
	done
	install -d $(DESTDIR)$(BASH_COMPLETIONS_DIR) $(DESTDIR)$(ZSH_COMPLETIONS_DIR) $(DESTDIR)$(FISH_COMPLETIONS_DIR)
	install -m 0644 $(addprefix $(COMPLETIONS)/bash/,$(TOOLS)) $(DESTDIR)$(BASH_COMPLETIONS_DIR)/
	install -m 0644 $(addprefix $(COMPLETIONS)/zsh/_,$(TOOLS)) $(DESTDIR)$(ZSH_COMPLETIONS_DIR)/
	install -m 0644 $(patsubst %,$(COMPLETIONS)/fish/%.fish,$(TOOLS)) $(DESTDIR)$(FISH_COMPLETIONS_DIR)/
	sed 's|/usr/local/bin/|$(PREFIX)/bin/|' deploy/systemd/seccomp-forge-agent.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/seccomp-forge-agent.service
	install -d $(DESTDIR)$(HOOKSDIR)
	sed 's|/usr/local/bin/|$(PREFIX)/bin/|' deploy/oci-hooks/seccomp-forge-trace.json > $(DESTDIR)$(HOOKSDIR)/seccomp-forge-trace.json

# Man pages in .build/man: seccomp-profile(1) and seccomp-observe(1) from their ArgumentParser
# definitions (tools/man/gen-man.py), seccomp-sandbox(1) as written in docs/man.
man: build manual-tool
	@$(MAKE) --no-print-directory man-pages

manual-tool:
	$(SWIFT) build $(SWIFTFLAGS) --product generate-manual

man-pages:
	python3 tools/man/gen-man.py --generate-manual $(GENERATE_MANUAL) --out $(MAN) --date $(MAN_DATE) \
	  --version $(VERSION) $(addprefix $(RELEASE)/,$(PARSER_TOOLS))
	sed 's/^\.Os seccomp-forge$$/.Os seccomp-forge $(VERSION)/' docs/man/seccomp-sandbox.1 > $(MAN)/seccomp-sandbox.1

# Shell completions in .build/completions/{bash,zsh,fish}, under the names they are installed
# by: the ArgumentParser tools' own (--generate-completion-script), seccomp-sandbox's from
# tools/completions.
completions: build
	@$(MAKE) --no-print-directory completion-scripts

completion-scripts:
	@mkdir -p $(COMPLETIONS)/bash $(COMPLETIONS)/zsh $(COMPLETIONS)/fish
	for tool in $(PARSER_TOOLS); do \
	  $(RELEASE)/$$tool --generate-completion-script bash > $(COMPLETIONS)/bash/$$tool && \
	  $(RELEASE)/$$tool --generate-completion-script zsh > $(COMPLETIONS)/zsh/_$$tool && \
	  $(RELEASE)/$$tool --generate-completion-script fish > $(COMPLETIONS)/fish/$$tool.fish || exit 1; \
	done
	cp tools/completions/seccomp-sandbox.bash $(COMPLETIONS)/bash/seccomp-sandbox
	cp tools/completions/seccomp-sandbox.zsh $(COMPLETIONS)/zsh/_seccomp-sandbox
	cp tools/completions/seccomp-sandbox.fish $(COMPLETIONS)/fish/seccomp-sandbox.fish

# Debian packages the build and tests need; installed only when missing (root).
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_PACKAGES)"

bench-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_PACKAGES) $(BENCH_PACKAGES)"

install-packages:
	@missing=""; for p in $(PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: need root to install$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps bpf
	$(SWIFT) build $(SWIFTFLAGS) --product seccomp-profile
	$(SWIFT) build $(SWIFTFLAGS) --product seccomp-observe
	$(SWIFT) build $(SWIFTFLAGS) --product seccomp-sandbox

# The observer's eBPF program: vmlinux.h from this kernel's BTF, the CO-RE
# object, and the libbpf skeleton that embeds it — in that order, all generated.
bpf: $(BPF)/syscount.skel.h $(BPF)/workloads.skel.h

$(BPF)/vmlinux.h:
	@mkdir -p $(BPF)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@

# One rule for every eBPF object (the observer's and the benchmarks' references),
# one for every skeleton: NAME.bpf.c → NAME.bpf.o → NAME.skel.h (struct NAME_bpf).
$(BPF)/%.bpf.o: bpf/%.bpf.c bpf/abi.bpf.h Sources/Observe/CObserver/include/observer_limits.h $(BPF)/vmlinux.h
	$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(BPF) -ISources/Observe/CObserver/include -c $< -o $@

$(BPF)/%.skel.h: $(BPF)/%.bpf.o
	bpftool gen skeleton $< name $*_bpf > $@

# Kept after the skeleton is made (make would delete them as intermediates).
.PRECIOUS: $(BPF)/%.bpf.o

# Test-only C helpers: the libseccomp oracle, and filter probes (64- and 32-bit)
# that install a filter in themselves and make one call.
HELPER_NAMES := scmp-oracle filter-probe filter-probe32 call-n-times call-n-times32 threads run-filtered \
	syscall-probe syscall-probe32 hostile sockets32 int80 leader-exits forker vsyscall moved argprobe argprobe32 goprobe
helpers: deps $(addprefix $(HELPERS)/,$(HELPER_NAMES))

# Built from tools/{probe,oracle,bench}/NAME.c; NAME32 is the -m32 build of NAME.c
# (sockets32.c is 32-bit code of its own). Static where no dynamic loader may run
# between exec and the call under test; threads and libraries where they are used.
$(HELPERS)/int80 $(HELPERS)/syscall-probe $(HELPERS)/syscall-probe32: HELPER_FLAGS := -static
$(HELPERS)/sockets32: HELPER_FLAGS := -m32 -static
$(HELPERS)/threads $(HELPERS)/leader-exits $(HELPERS)/argprobe: HELPER_FLAGS := -pthread
$(HELPERS)/argprobe32: HELPER_FLAGS := -pthread -static
$(HELPERS)/scmp-oracle: HELPER_LIBS := -lseccomp
$(HELPERS)/attach-empty: HELPER_LIBS := -lbpf

# A Go workload (the learned-profile tests): the Go runtime's own threads and sockets.
$(HELPERS)/goprobe: tools/probe/goprobe.go
	@mkdir -p $(HELPERS)
	GOCACHE=$(abspath $(BUILD))/gocache GOPATH=$(abspath $(BUILD))/gopath GOFLAGS=-mod=mod GO111MODULE=off go build -o $@ $<

$(HELPERS)/%32: tools/probe/%.c
	@mkdir -p $(HELPERS)
	cc -m32 $(HELPER_FLAGS) -O2 -Wall -Wextra -o $@ $< $(HELPER_LIBS)

$(HELPERS)/%: tools/probe/%.c
	@mkdir -p $(HELPERS)
	cc $(HELPER_FLAGS) -O2 -Wall -Wextra -o $@ $< $(HELPER_LIBS)

$(HELPERS)/%: tools/oracle/%.c
	@mkdir -p $(HELPERS)
	cc $(HELPER_FLAGS) -O2 -Wall -Wextra -o $@ $< $(HELPER_LIBS)

$(HELPERS)/%: tools/bench/%.c
	@mkdir -p $(HELPERS)
	cc $(HELPER_FLAGS) -O2 -Wall -Wextra -o $@ $< $(HELPER_LIBS)

# The syscall table is generated from data/; the committed output must be current.
tables:
	python3 tools/gen-syscall-table.py

check-tables:
	python3 tools/gen-syscall-table.py --check

# The tools link as static executables (Package.swift); XCTest has no static build, so
# the test bundle is built on its own, and `swift test` runs it without relinking the tools.
test: deps check-tables helpers build manual-tool fuzz-smoke
	$(SWIFT) build -c release --product seccomp-forgePackageTests
	SECCOMP_FORGE_HELPERS=$(abspath $(HELPERS)) SECCOMP_FORGE_BIN=$(abspath $(RELEASE)) \
	  $(SWIFT) test -c release --skip-build --disable-swift-testing

demo: build
	@sh tools/demo.sh $(abspath $(RELEASE)) $(abspath $(DOCKER_DEFAULT))

bench: bench-deps helpers build $(BPF)/empty.bpf.o $(BPF)/least-counter.bpf.o $(HELPERS)/attach-empty $(HELPERS)/syscall-loop $(HELPERS)/min-launch
	@sh tools/bench/compiler-bench.sh $(RELEASE)/seccomp-profile $(HELPERS)/scmp-oracle $(DOCKER_DEFAULT)
	@python3 tools/bench/compile-time-bench.py $(RELEASE)/seccomp-profile $(HELPERS)/scmp-oracle --timeout 60 \
	  --markdown docs/benchmarks-compile-time.md
	$(SWIFT) build -c release --product seccomp-forgePackageTests
	@sh tools/bench/differential-report.sh $(abspath $(HELPERS)) $(abspath $(RELEASE)) docs/benchmarks-differential.md
	@python3 tools/bench/observer-bench.py $(RELEASE)/seccomp-observe $(HELPERS)/attach-empty $(BPF)/empty.bpf.o \
	  --loop $(HELPERS)/syscall-loop --least $(BPF)/least-counter.bpf.o \
	  --markdown docs/benchmarks-observer.md
	@python3 tools/bench/weighted-bench.py $(RELEASE)/seccomp-observe $(RELEASE)/seccomp-profile $(HELPERS)/scmp-oracle \
	  $(DOCKER_DEFAULT) --markdown docs/benchmarks-weighted.md
	@python3 tools/bench/all-bench.py $(RELEASE)/seccomp-observe $(HELPERS)/attach-empty $(BPF)/empty.bpf.o $(HELPERS) \
	  --loop $(HELPERS)/syscall-loop \
	  --soak $(ALL_SOAK) --markdown docs/benchmarks-all.md
	@python3 tools/bench/harvest-bench.py $(RELEASE)/seccomp-profile --markdown docs/benchmarks-harvest.md
	@sh tools/bench/launch-bench.sh $(RELEASE)/seccomp-sandbox $(RELEASE)/seccomp-profile profiles/container-default.json \
	  docs/benchmarks-launch.md $(HELPERS)/call-n-times $(HELPERS)/min-launch
	@sh tools/bench/combine.sh

# --- Fuzzing (libFuzzer + ASan): fuzz/build.sh builds, fuzz/run.sh runs; docs/fuzzing.md.
#   make fuzz          each target FUZZ_SECONDS (600) in turn: profile, cache-entry, kernel-log
#   make fuzz-smoke    each target FUZZ_SMOKE_SECONDS (20): the seeds, then fresh inputs (make test runs it)
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS       ?= profile cache-entry kernel-log

.PHONY: fuzz fuzz-build fuzz-smoke

fuzz-build:
	sh fuzz/build.sh

fuzz: fuzz-build
	nice -n 10 sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	sh fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)
# --- end of fuzzing

clean:
	rm -rf $(BUILD)
