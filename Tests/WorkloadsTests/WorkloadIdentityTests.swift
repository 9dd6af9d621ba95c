import Workloads
import XCTest

/// Workloads named from cgroup paths and runtime state as the runtimes lay them out
/// (paths as systemd, Docker, containerd, CRI-O, Podman and the kubelet make them).
final class WorkloadIdentityTests: XCTestCase {
    let id = "4f1c2a9b8e7d6c5b4a3928171615141312111009080706050403020100aabbcc"

    func name(_ path: String, _ states: [String: WorkloadIdentity.RuntimeState] = [:]) -> String? {
        WorkloadIdentity.of(cgroupPath: path, states: states)?.name
    }

    func testContainerScopesAndDirectoriesOfEachRuntime() {
        XCTAssertEqual(name("/system.slice/docker-\(id).scope"), "docker-4f1c2a9b8e7d")
        XCTAssertEqual(name("/docker/\(id)"), "docker-4f1c2a9b8e7d")
        XCTAssertEqual(name("/system.slice/cri-containerd-\(id).scope"), "containerd-4f1c2a9b8e7d")
        XCTAssertEqual(name("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/crio-\(id).scope"), "crio-4f1c2a9b8e7d")
        XCTAssertEqual(name("/machine.slice/libpod-\(id).scope"), "podman-4f1c2a9b8e7d")
        XCTAssertEqual(name("/libpod_parent/libpod-\(id)"), "podman-4f1c2a9b8e7d")
        XCTAssertEqual(name("/kubepods/burstable/pod0f8e2b1c-2d3e-4f50-9a1b-2c3d4e5f6a7b/\(id)"), "kubernetes-4f1c2a9b8e7d")
    }

    func testConmonIsNotAWorkload() {
        XCTAssertNil(name("/machine.slice/libpod-conmon-\(id).scope"))
        XCTAssertNil(name("/kubepods.slice/crio-conmon-\(id).scope"))
        XCTAssertNil(name("/libpod_parent/conmon"))
    }

    func testServicesRootAndPlainCgroups() {
        XCTAssertEqual(name("/system.slice/nginx.service"), "nginx.service")
        XCTAssertEqual(name("/system.slice/nginx.service/control"), "nginx.service", "a service's sub-cgroup is the service")
        XCTAssertEqual(name("/"), "root")
        XCTAssertEqual(name("/batch/job 1"), "cgroup-batch-job_1")
    }

    func testTheInnermostContainerWins() {
        let inner = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        XCTAssertEqual(name("/system.slice/docker-\(id).scope/docker/\(inner)"), "docker-4f1c2a9b8e7d~docker-0123456789ab",
                       "the innermost, named under the container it runs in")
        XCTAssertEqual(name("/system.slice/docker-\(id).scope/init.scope"), "docker-4f1c2a9b8e7d", "a container's own sub-cgroup is the container")
    }

    func testRuntimeStateNamesReplicasAlike() {
        func pod(_ pod: String, id: String, path: String) -> WorkloadIdentity.RuntimeState {
            WorkloadIdentity.RuntimeState(id: id, cgroupPath: path, labels: [
                "io.kubernetes.container.name": "app", "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.name": pod])
        }
        let a = pod("web-7d4b9c8f6-x2x5q", id: "a1", path: "/kubepods/pod1/a1")
        let b = pod("web-7d4b9c8f6-k9p2z", id: "b2", path: "/kubepods/pod2/b2")
        let c = pod("db-0", id: "c3", path: "/kubepods/pod3/c3")
        let states = [a.cgroupPath: a, b.cgroupPath: b, c.cgroupPath: c]
        XCTAssertEqual(name(a.cgroupPath, states), "k8s-shop-web-app")
        XCTAssertEqual(name(b.cgroupPath, states), "k8s-shop-web-app")
        XCTAssertEqual(name(c.cgroupPath, states), "k8s-shop-db-app")
        let image = WorkloadIdentity.RuntimeState(id: "d4", cgroupPath: "/x/d4", labels: ["org.opencontainers.image.ref.name": "registry/app:1.2"])
        XCTAssertEqual(name("/x/d4", ["/x/d4": image]), "registry_app_1.2")
        XCTAssertEqual(name("/x/d4/sub", ["/x/d4": image]), "registry_app_1.2")
        let bare = WorkloadIdentity.RuntimeState(id: "e5e5e5e5e5e5e5e5", cgroupPath: "/y", labels: [:])
        XCTAssertEqual(name("/y", ["/y": bare]), "runc-e5e5e5e5e5e5")
    }

    /// Attack: a container that can make cgroups inside its own names them after other
    /// workloads, to have its calls merged into their profiles. They stay its own.
    func testAContainerCannotPassItsCallsOffAsAnotherWorkloads() {
        let victim = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        let inside = "/system.slice/docker-\(id).scope"
        XCTAssertEqual(name("/system.slice/nginx.service"), "nginx.service")
        XCTAssertEqual(name("\(inside)/nginx.service"), "docker-4f1c2a9b8e7d~nginx.service")
        XCTAssertEqual(name("/system.slice/docker-\(victim).scope"), "docker-0123456789ab")
        XCTAssertEqual(name("\(inside)/docker-\(victim).scope"), "docker-4f1c2a9b8e7d~docker-0123456789ab")
        let image = WorkloadIdentity.RuntimeState(id: "v", cgroupPath: "/x/v", labels: ["org.opencontainers.image.ref.name": "bank"])
        XCTAssertEqual(name("\(inside)/x/v", ["\(inside)/x/v": image]), "docker-4f1c2a9b8e7d~bank")
        XCTAssertNil(name("\(inside)/libpod-conmon-\(victim).scope"), "conmon is never a workload")
    }
}
