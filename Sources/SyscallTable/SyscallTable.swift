/// Syscall names and numbers for one architecture.
///
/// The data is generated from `data/syscalls.csv` (see
/// `tools/gen-syscall-table.py`); nothing here is typed by hand.
public struct SyscallTable: Sendable {
    public let architecture: Architecture
    private let numbersByName: [String: UInt32]
    private let namesByNumber: [UInt32: String]
    /// Every (number, name) pair, ascending by number.
    public let entries: [(number: UInt32, name: String)]

    /// The highest number this architecture assigns.
    public var highestNumber: UInt32 { entries.last?.number ?? architecture.numberBase }

    public func number(of name: String) -> UInt32? { numbersByName[name] }
    public func name(of number: UInt32) -> String? { namesByNumber[number] }

    /// Whether `name` is a syscall on any architecture at all (as opposed to a typo).
    public static func isKnownAnywhere(_ name: String) -> Bool { allNamesSet.contains(name) }

    public static func forArchitecture(_ architecture: Architecture) -> SyscallTable {
        tables[architecture.name]!
    }

    private init(architecture: Architecture, pairs: [(Int, UInt32)]) {
        self.architecture = architecture
        var byName: [String: UInt32] = [:]
        var byNumber: [UInt32: String] = [:]
        var entries: [(number: UInt32, name: String)] = []
        entries.reserveCapacity(pairs.count)
        for (nameIndex, number) in pairs {
            let name = SyscallTable.allNames[nameIndex]
            byName[name] = number
            byNumber[number] = name
            entries.append((number, name))
        }
        self.numbersByName = byName
        self.namesByNumber = byNumber
        self.entries = entries
    }

    private static let tables: [String: SyscallTable] = {
        var result: [String: SyscallTable] = [:]
        for (architecture, pairs) in zip(architectureRows, numberRows) {
            result[architecture.name] = SyscallTable(architecture: architecture, pairs: pairs)
        }
        return result
    }()

    private static let allNamesSet = Set(allNames)

    static let spellingIndex: [String: Architecture] = {
        var index: [String: Architecture] = [:]
        for architecture in architectureRows {
            for spelling in architecture.spellings {
                index[spelling.lowercased()] = architecture
            }
        }
        return index
    }()
}
