/// Durations as the tools spell them: 500ms, 30s, 5m, 1h, 30d, 2w, 1y, or plain seconds
/// (seccomp-observe's --duration and --interval, harvest's --since window).
public enum DurationText {
    static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800), ("y", 31_536_000),
    ]

    /// The length in seconds; nil unless it is a positive number with one of the units, or alone.
    public static func seconds(parsing text: String) -> Double? {
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value > 0 else { return nil }
            return value * scale
        }
        return Double(text).flatMap { $0 > 0 ? $0 : nil }
    }
}
