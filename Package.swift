// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "seccomp-forge",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "seccomp-profile", targets: ["seccomp-profile"]),
        .library(name: "FilterCompiler", targets: ["FilterCompiler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Syscall names and numbers per architecture, generated from data/.
        .target(name: "SyscallTable"),
        // Classic BPF: instructions, the seccomp return values, an emulator and a disassembler.
        .target(name: "CBPF", dependencies: ["SyscallTable"]),
        // The OCI/Docker profile: model, validation, resolution into concrete rules.
        .target(name: "SeccompProfile", dependencies: ["SyscallTable", "CBPF"]),
        // Rules → per-architecture plans → search trees → cBPF; and the analysis of a filter.
        .target(name: "FilterCompiler", dependencies: ["SyscallTable", "CBPF", "SeccompProfile"]),
        .executableTarget(
            name: "seccomp-profile",
            dependencies: [
                "FilterCompiler", "SeccompProfile", "CBPF", "SyscallTable",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SyscallTableTests", dependencies: ["SyscallTable"]),
        .testTarget(name: "CBPFTests", dependencies: ["CBPF"]),
        .testTarget(name: "SeccompProfileTests", dependencies: ["SeccompProfile"]),
        .testTarget(name: "FilterCompilerTests", dependencies: ["FilterCompiler", "SeccompProfile", "CBPF", "SyscallTable"]),
        .testTarget(name: "KernelTests", dependencies: ["FilterCompiler", "SeccompProfile", "CBPF", "SyscallTable"]),
        .testTarget(name: "CLITests"),
    ],
    swiftLanguageModes: [.v6]
)
