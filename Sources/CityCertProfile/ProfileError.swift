/// An invalid profile: where (file:line:col), what, and a hint; rendered with the source line and a caret.
public struct ProfileError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String
    public let hint: String?
    public let lineText: String?

    public init(file: String, line: Int, column: Int, message: String, hint: String? = nil, lineText: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
        self.lineText = lineText
    }

    public var description: String {
        // Line 0: the error is about the file as a whole (missing, unreadable), not a place in it.
        var out = line > 0 ? "\(file):\(line):\(column): error: \(message)" : "\(file): error: \(message)"
        if let lineText {
            let number = String(line)
            let pad = String(repeating: " ", count: number.count)
            out += "\n \(number) | \(lineText)\n \(pad) | " + String(repeating: " ", count: max(0, column - 1)) + "^"
        }
        if let hint { out += "\nhint: \(hint)" }
        return out
    }
}

/// Edit distance, for did-you-mean hints.
func levenshtein(_ a: String, _ b: String) -> Int {
    let x = Array(a.lowercased())
    let y = Array(b.lowercased())
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[y.count]
}

/// The closest candidate to `word`, if close enough to be a likely typo.
func didYouMean(_ word: String, _ candidates: [String]) -> String? {
    let scored = candidates.map { ($0, levenshtein(word, $0)) }.sorted { $0.1 < $1.1 }
    guard let best = scored.first, best.1 <= max(2, word.count / 3) else { return nil }
    return best.0
}
