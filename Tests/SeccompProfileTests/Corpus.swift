import Foundation
import SeccompProfile
import XCTest

/// The vendored corpus of real profiles (corpus/, with its sources in corpus/README.md):
/// …/Tests/SeccompProfileTests/Corpus.swift → package root → corpus/docker.
enum Corpus {
    static var directory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("corpus/docker")
    }

    static let files = [
        "default.json", "fixture-default-old-format.json", "fixture-example.json", "fixture-conditional_include.json",
    ]

    static func path(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        // Vendored with the project: a missing file is a broken checkout, never a skip.
        guard FileManager.default.fileExists(atPath: path) else {
            struct Missing: Error, CustomStringConvertible { let description: String }
            throw Missing(description: "corpus file \(name) is missing at \(path)")
        }
        return path
    }

    static func load(_ name: String) throws -> Profile {
        try Profile.load(path: path(name))
    }
}

/// Decodes a profile written inline in a test.
func profile(_ json: String) throws -> Profile {
    try Profile.decode(Data(json.utf8), source: "test.json")
}

/// The problems `Profile.decode` reports for `json`, or a failure if it decodes.
func decodeProblems(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> [ProfileError] {
    do throws(ProfileLoadError) {
        _ = try Profile.decode(Data(json.utf8), source: "test.json")
        XCTFail("expected a decoding error", file: file, line: line)
        return []
    } catch {
        XCTAssertEqual(error.source, "test.json", file: file, line: line)
        return error.problems
    }
}
