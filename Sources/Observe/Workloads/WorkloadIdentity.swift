import Foundation

/// What a cgroup is, as operators name it: the container, pod container or service whose
/// processes run in it. Replicas of one workload (same image, pod owner and container name,
/// or unit) get the same `name`, so their recordings merge.
public struct WorkloadIdentity: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case docker, containerd, crio, podman, kubernetes, runc, systemd, cgroup
    }

    /// File-safe name: `<name>.recording.json`, `<name>.seccomp.json`.
    public var name: String
    public var kind: Kind
    /// The container id, when it is a container.
    public var containerID: String?
    /// Where the name came from: the runtime's annotations, image, bundle, unit.
    public var labels: [String: String]

    public var description: String { "\(name) (\(kind.rawValue))" }

    /// A runtime's record of one container (runc's state.json): its id, its cgroup
    /// below the v2 mount, and its labels (annotations as `key=value`, `bundle=`).
    public struct RuntimeState: Sendable, Equatable {
        public var id: String
        public var cgroupPath: String
        public var labels: [String: String]
        public var image: String?

        public init(id: String, cgroupPath: String, labels: [String: String], image: String? = nil) {
            self.id = id
            self.cgroupPath = cgroupPath
            self.labels = labels
            self.image = image
        }
    }

    /// Where runc keeps container state for the runtimes built on it: runc itself, Docker
    /// (moby), containerd (any namespace: k8s.io, default, moby), CRI-O and Podman (runc root).
    public static let stateRoots = ["/run/runc", "/run/docker/runtime-runc/moby", "/run/containerd/runc", "/run/crun"]

    /// The state files the runtimes' state directories hold now (runc: <root>/<id>/state.json;
    /// containerd: <root>/<namespace>/<id>/state.json).
    public static func stateFiles(roots: [String] = stateRoots) -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        func scan(_ dir: String, depth: Int) {
            guard let entries = try? fm.contentsOfDirectory(atPath: dir) else { return }
            for entry in entries {
                let path = dir + "/" + entry
                if fm.fileExists(atPath: path + "/state.json") {
                    files.append(path + "/state.json")
                } else if depth > 0 {
                    scan(path, depth: depth - 1)
                }
            }
        }
        for root in roots { scan(root, depth: 1) }
        return files
    }

    /// What runc's state.json says of a container (the fields naming uses; the rest is ignored).
    struct RuncState: Decodable {
        struct Config: Decodable { var labels: [String]? }
        var id: String
        var cgroup_paths: [String: String]?
        var config: Config?
    }

    /// Docker's own record of a container (config.v2.json): the image it runs.
    struct DockerContainerConfig: Decodable {
        struct Config: Decodable { var Image: String? }
        var Config: Config?
    }

    public static func parseState(atPath path: String, cgroupMount: String) -> RuntimeState? {
        guard let data = FileManager.default.contents(atPath: path),
              let state = try? JSONDecoder().decode(RuncState.self, from: data) else { return nil }
        var cgroup = state.cgroup_paths?[""] ?? ""
        if cgroup.hasPrefix(cgroupMount) { cgroup = String(cgroup.dropFirst(cgroupMount.count)) }
        if !cgroup.hasPrefix("/") { cgroup = "/" + cgroup }
        var labels: [String: String] = [:]
        for label in state.config?.labels ?? [] {
            guard let eq = label.firstIndex(of: "=") else { continue }
            labels[String(label[..<eq])] = String(label[label.index(after: eq)...])
        }
        // Docker keeps the image in its own container config, not in runc's state.
        let config = FileManager.default.contents(atPath: "/var/lib/docker/containers/\(state.id)/config.v2.json")
        let image = config.flatMap { try? JSONDecoder().decode(DockerContainerConfig.self, from: $0) }?.Config?.Image
        return RuntimeState(id: state.id, cgroupPath: cgroup, labels: labels, image: image)
    }

    /// The identity of the cgroup at `path` (below the v2 mount, "/" for the root), or nil
    /// for a runtime's helper that is not a workload (conmon). The innermost container on
    /// the path wins; cgroups a container makes inside its own belong to it. A workload found
    /// inside a container (a nested container, a unit of a systemd in a container) is named
    /// under the outermost one (`docker-<outer>~docker-<inner>`): a container that may make
    /// cgroups in its own cannot pass its calls off as another workload's by naming a cgroup
    /// after it.
    public static func of(cgroupPath path: String, states: [String: RuntimeState] = [:]) -> WorkloadIdentity? {
        let segments = path.split(separator: "/").map(String.init)
        if segments.isEmpty { return WorkloadIdentity(name: "root", kind: .cgroup, containerID: nil, labels: [:]) }
        var innermost: WorkloadIdentity?
        var outermostContainer: WorkloadIdentity?
        for depth in stride(from: segments.count, to: 0, by: -1) {
            let prefix = "/" + segments[..<depth].joined(separator: "/")
            let segment = segments[depth - 1]
            let parent = depth >= 2 ? segments[depth - 2] : ""
            if innermost == nil && (segment.hasPrefix("libpod-conmon-") || segment.hasPrefix("crio-conmon-")
                || (segment == "conmon" && parent == "libpod_parent")) {
                return nil
            }
            guard let found = recognized(segment: segment, parent: parent, state: states[prefix]) else { continue }
            if innermost == nil { innermost = found } else if found.kind != .systemd { outermostContainer = found }
        }
        guard var identity = innermost else {
            return WorkloadIdentity(name: sanitize("cgroup" + path.replacingOccurrences(of: "/", with: "-")), kind: .cgroup,
                                    containerID: nil, labels: ["cgroup": path])
        }
        if let outer = outermostContainer {
            identity.name = outer.name + "~" + identity.name
            identity.labels["inside"] = outer.name
        }
        return identity
    }

    /// What one path segment names, if anything: a container (from the runtime's state or the
    /// segment's own name) or a service.
    static func recognized(segment: String, parent: String, state: RuntimeState?) -> WorkloadIdentity? {
        if let state { return fromState(state, kind: kindOf(segment: segment, parent: parent) ?? .runc) }
        guard let kind = kindOf(segment: segment, parent: parent) else { return nil }
        if kind == .systemd {
            return WorkloadIdentity(name: sanitize(segment), kind: .systemd, containerID: nil, labels: ["unit": segment])
        }
        let id = containerID(segment: segment)
        return WorkloadIdentity(name: sanitize("\(kind.rawValue)-\(id.prefix(12))"), kind: kind, containerID: id, labels: [:])
    }

    /// What a path segment names: a container scope or directory of a known runtime, or a service.
    static func kindOf(segment: String, parent: String) -> Kind? {
        if segment.hasPrefix("docker-") && segment.hasSuffix(".scope") { return .docker }
        if parent == "docker" && isHexID(segment) { return .docker }
        if segment.hasPrefix("cri-containerd-") && segment.hasSuffix(".scope") { return .containerd }
        if segment.hasPrefix("crio-") && segment.hasSuffix(".scope") { return .crio }
        if segment.hasPrefix("libpod-") && segment.hasSuffix(".scope") { return .podman }
        if parent == "libpod_parent" && segment.hasPrefix("libpod-") { return .podman }
        if isKubePod(parent) && isHexID(segment) { return .kubernetes }
        if segment.hasSuffix(".service") { return .systemd }
        return nil
    }

    static func isKubePod(_ segment: String) -> Bool {
        // cgroupfs: /kubepods/burstable/pod<uid>/<container id>
        segment.hasPrefix("pod") && segment.count > 30
    }

    static func isHexID(_ s: String) -> Bool {
        s.count >= 12 && s.allSatisfy { $0.isHexDigit }
    }

    /// The container id inside a scope name: `docker-<id>.scope` → `<id>`.
    static func containerID(segment: String) -> String {
        var s = segment
        if s.hasSuffix(".scope") { s = String(s.dropLast(6)) }
        for prefix in ["cri-containerd-", "docker-", "crio-", "libpod-"] where s.hasPrefix(prefix) {
            return String(s.dropFirst(prefix.count))
        }
        return s
    }

    /// From a runtime's state: a pod container (namespace, owner, container name), else the
    /// image, else the container id. Pods of one owner differ only in the suffixes their
    /// controller adds (`web-7d4b9c8f6-x2x5q`, `db-0`): those are dropped.
    static func fromState(_ state: RuntimeState, kind: Kind) -> WorkloadIdentity {
        let l = state.labels
        var labels = l.filter { !$0.key.hasPrefix("io.kubernetes.cri.sandbox") }
        if let container = l["io.kubernetes.container.name"] ?? l["io.kubernetes.cri.container-name"] {
            let namespace = l["io.kubernetes.pod.namespace"] ?? l["io.kubernetes.cri.sandbox-namespace"] ?? "default"
            let pod = l["io.kubernetes.pod.name"] ?? l["io.kubernetes.cri.sandbox-name"] ?? ""
            let owner = podOwner(pod)
            labels["owner"] = owner
            return WorkloadIdentity(name: sanitize("k8s-\(namespace)-\(owner)-\(container)"), kind: .kubernetes,
                                    containerID: state.id, labels: labels)
        }
        if let image = l["org.opencontainers.image.ref.name"] ?? l["io.kubernetes.cri.image-name"] ?? state.image {
            labels["image"] = image
            return WorkloadIdentity(name: sanitize(image), kind: kind, containerID: state.id, labels: labels)
        }
        return WorkloadIdentity(name: sanitize("\(kind.rawValue)-\(state.id.prefix(12))"), kind: kind, containerID: state.id, labels: labels)
    }

    /// `web-7d4b9c8f6-x2x5q` → `web` (Deployment), `job-x2x5q` → `job`, `db-0` → `db` (StatefulSet).
    static func podOwner(_ pod: String) -> String {
        var parts = pod.split(separator: "-").map(String.init)
        if parts.count > 1, let last = parts.last, last.allSatisfy(\.isNumber) { parts.removeLast(); return parts.joined(separator: "-") }
        if parts.count > 1, let last = parts.last, last.count == 5, last.allSatisfy({ $0.isLowercase || $0.isNumber }) { parts.removeLast() }
        if parts.count > 1, let last = parts.last, (8...10).contains(last.count), last.allSatisfy({ $0.isLowercase || $0.isNumber }),
           last.contains(where: \.isNumber) { parts.removeLast() }
        return parts.joined(separator: "-")
    }

    /// Letters, digits, `.`, `_`, `-`, `@`, `~`; anything else becomes `_` (image refs: `nginx:1.27` → `nginx_1.27`).
    public static func sanitize(_ s: String) -> String {
        let mapped = String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-@~".contains($0)) ? $0 : "_" })
        let trimmed = mapped.trimmingCharacters(in: CharacterSet(charactersIn: "._"))
        return trimmed.isEmpty ? "workload" : String(trimmed.prefix(200))
    }
}
