import Synchronization

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
        Cache.table(architecture)
    }

    private init(architecture: Architecture, pairs: [(UInt16, UInt32)]) {
        self.architecture = architecture
        var byName: [String: UInt32] = [:]
        var byNumber: [UInt32: String] = [:]
        var entries: [(number: UInt32, name: String)] = []
        entries.reserveCapacity(pairs.count)
        for (nameIndex, number) in pairs {
            let name = SyscallTable.allNames[Int(nameIndex)]
            byName[name] = number
            byNumber[number] = name
            entries.append((number, name))
        }
        self.numbersByName = byName
        self.namesByNumber = byNumber
        self.entries = entries
    }

    /// Tables are built on first use, one architecture at a time: start-up pays only
    /// for the architectures a run touches.
    private enum Cache {
        static let lock = Mutex<[String: SyscallTable]>([:])

        static func table(_ architecture: Architecture) -> SyscallTable {
            lock.withLock { tables in
                if let table = tables[architecture.name] { return table }
                let table = SyscallTable(architecture: architecture, pairs: numberPairs(architecture.name))
                tables[architecture.name] = table
                return table
            }
        }
    }

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
