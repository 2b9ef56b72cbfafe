import CityCertJSON

/// A JSONPath syntax or well-typedness error, with the character position (0-based) where it was found.
public struct JSONPathError: Error, Sendable, CustomStringConvertible {
    public let query: String
    public let position: Int
    public let message: String
    public var description: String { "invalid JSONPath '\(query)' at character \(position + 1): \(message)" }
}

extension JSONPath {
    /// Parses and type-checks a query per RFC 9535.
    public init(_ text: String) throws(JSONPathError) {
        var parser = JSONPathParser(text)
        self.text = text
        self.segments = try parser.parseRoot()
    }
}

/// The largest and smallest integers I-JSON allows (RFC 9535 2.1).
let maxSafeInteger = 9_007_199_254_740_991

struct JSONPathParser {
    let text: String
    let chars: [Unicode.Scalar]
    var pos = 0
    /// Filter expressions, parentheses and function calls inside each other, now.
    var depth = 0
    /// Deeper nesting is an error, before the recursive descent could run out of stack.
    static let maxDepth = 128

    init(_ text: String) {
        self.text = text
        self.chars = Array(text.unicodeScalars)
    }

    func fail(_ message: String, at position: Int? = nil) -> JSONPathError {
        JSONPathError(query: text, position: position ?? pos, message: message)
    }

    var atEnd: Bool { pos >= chars.count }
    var peek: Unicode.Scalar? { pos < chars.count ? chars[pos] : nil }
    func peek(_ offset: Int) -> Unicode.Scalar? { pos + offset < chars.count ? chars[pos + offset] : nil }

    mutating func skipBlank() {
        while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" { pos += 1 }
    }

    mutating func expect(_ c: Unicode.Scalar) throws(JSONPathError) {
        guard peek == c else { throw fail("expected '\(c)'") }
        pos += 1
    }

    mutating func parseRoot() throws(JSONPathError) -> [Segment] {
        guard peek == "$" else { throw fail("a query must start with '$'") }
        pos += 1
        let segments = try parseSegments()
        if !atEnd { throw fail("unexpected '\(chars[pos])'") }
        return segments
    }

    /// Parses segments, allowing blanks between them but not consuming trailing blanks.
    mutating func parseSegments() throws(JSONPathError) -> [Segment] {
        var segments: [Segment] = []
        while true {
            let save = pos
            skipBlank()
            guard let c = peek, c == "." || c == "[" else {
                pos = save
                return segments
            }
            segments.append(try parseSegment())
        }
    }

    mutating func parseSegment() throws(JSONPathError) -> Segment {
        if peek == "[" { return Segment(descendant: false, selectors: try parseBracketed()) }
        // "."
        pos += 1
        if peek == "." {
            pos += 1
            if peek == "[" { return Segment(descendant: true, selectors: try parseBracketed()) }
            if peek == "*" {
                pos += 1
                return Segment(descendant: true, selectors: [.wildcard])
            }
            return Segment(descendant: true, selectors: [.name(try parseShorthandName())])
        }
        if peek == "*" {
            pos += 1
            return Segment(descendant: false, selectors: [.wildcard])
        }
        return Segment(descendant: false, selectors: [.name(try parseShorthandName())])
    }

    static func isNameFirst(_ c: Unicode.Scalar) -> Bool {
        (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "_" || (c.value >= 0x80 && c.value <= 0xD7FF)
            || (c.value >= 0xE000 && c.value <= 0x10FFFF)
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    mutating func parseShorthandName() throws(JSONPathError) -> String {
        guard let c = peek, Self.isNameFirst(c) else { throw fail("expected a member name, '*' or '['") }
        var name = String.UnicodeScalarView()
        while let c = peek, Self.isNameFirst(c) || Self.isDigit(c) {
            name.append(c)
            pos += 1
        }
        return String(name)
    }

    mutating func parseBracketed() throws(JSONPathError) -> [Selector] {
        try expect("[")
        var selectors: [Selector] = []
        while true {
            skipBlank()
            selectors.append(try parseSelector())
            skipBlank()
            if peek == "," {
                pos += 1
                continue
            }
            try expect("]")
            return selectors
        }
    }

    mutating func parseSelector() throws(JSONPathError) -> Selector {
        guard let c = peek else { throw fail("unexpected end of query: expected a selector") }
        switch c {
        case "'", "\"": return .name(try parseStringLiteral())
        case "*":
            pos += 1
            return .wildcard
        case "?":
            pos += 1
            skipBlank()
            return .filter(try parseLogicalOr())
        case ":", "-", "0"..."9":
            return try parseIndexOrSlice()
        default:
            throw fail("unexpected '\(c)': expected a selector")
        }
    }

    mutating func parseInt() throws(JSONPathError) -> Int {
        let start = pos
        var negative = false
        if peek == "-" {
            negative = true
            pos += 1
        }
        guard let first = peek, Self.isDigit(first) else { throw fail("expected an integer") }
        if first == "0" {
            pos += 1
            if negative { throw fail("'-0' is not a valid integer", at: start) }
            if let n = peek, Self.isDigit(n) { throw fail("leading zeros are not allowed", at: start) }
            return 0
        }
        var value = 0
        while let d = peek, Self.isDigit(d) {
            value = value &* 10 &+ Int(d.value - 48)
            if value > maxSafeInteger { throw fail("integer out of the I-JSON range", at: start) }
            pos += 1
        }
        return negative ? -value : value
    }

    mutating func parseIndexOrSlice() throws(JSONPathError) -> Selector {
        var start: Int? = nil
        if peek != ":" {
            start = try parseInt()
            skipBlank()
            if peek != ":" { return .index(start!) }
        }
        pos += 1  // ':'
        skipBlank()
        var end: Int? = nil
        var step: Int? = nil
        if let c = peek, c == "-" || Self.isDigit(c) {
            end = try parseInt()
            skipBlank()
        }
        if peek == ":" {
            pos += 1
            skipBlank()
            if let c = peek, c == "-" || Self.isDigit(c) { step = try parseInt() }
        }
        return .slice(start: start, end: end, step: step)
    }

    mutating func parseStringLiteral() throws(JSONPathError) -> String {
        let quote = chars[pos]
        let start = pos
        pos += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek else { throw fail("unterminated string literal", at: start) }
            pos += 1
            if c == quote { return String(out) }
            if c.value < 0x20 { throw fail("control character in string literal", at: pos - 1) }
            if c != "\\" {
                out.append(c)
                continue
            }
            guard let e = peek else { throw fail("unterminated escape", at: pos - 1) }
            pos += 1
            switch e {
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "/": out.append("/")
            case "\\": out.append("\\")
            case "'" where quote == "'": out.append("'")
            case "\"" where quote == "\"": out.append("\"")
            case "u":
                var code = try hex4()
                if code >= 0xD800 && code <= 0xDBFF {
                    guard peek == "\\", peek(1) == "u" else { throw fail("lone high surrogate", at: pos - 6) }
                    pos += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low <= 0xDFFF else { throw fail("invalid low surrogate", at: pos - 6) }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if code >= 0xDC00 && code <= 0xDFFF {
                    throw fail("lone low surrogate", at: pos - 6)
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid code point") }
                out.append(scalar)
            default:
                throw fail("invalid escape '\\\(e)'", at: pos - 2)
            }
        }
    }

    mutating func hex4() throws(JSONPathError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let c = peek, let d = hexValue(c) else { throw fail("invalid \\u escape") }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": return c.value - 48
        case "a"..."f": return c.value - 87
        case "A"..."F": return c.value - 55
        default: return nil
        }
    }

    // MARK: Filter expressions

    mutating func enter() throws(JSONPathError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("expression nested deeper than \(Self.maxDepth) levels") }
    }

    mutating func parseLogicalOr() throws(JSONPathError) -> LogicalExpr {
        try enter()
        defer { depth -= 1 }
        var terms = [try parseLogicalAnd()]
        while true {
            let save = pos
            skipBlank()
            if peek == "|" && peek(1) == "|" {
                pos += 2
                skipBlank()
                terms.append(try parseLogicalAnd())
            } else {
                pos = save
                break
            }
        }
        return terms.count == 1 ? terms[0] : .or(terms)
    }

    mutating func parseLogicalAnd() throws(JSONPathError) -> LogicalExpr {
        var terms = [try parseBasic()]
        while true {
            let save = pos
            skipBlank()
            if peek == "&" && peek(1) == "&" {
                pos += 2
                skipBlank()
                terms.append(try parseBasic())
            } else {
                pos = save
                break
            }
        }
        return terms.count == 1 ? terms[0] : .and(terms)
    }

    /// A primary operand: literal, filter query or function call.
    enum Primary {
        case literal(JSONValue)
        case query(Query)
        case function(FunctionCall)
    }

    mutating func parseBasic() throws(JSONPathError) -> LogicalExpr {
        if peek == "!" {
            pos += 1
            skipBlank()
            if peek == "(" { return .not(try parseParen()) }
            let start = pos
            let primary = try parsePrimary()
            switch primary {
            case .query(let q): return .not(.exists(q))
            case .function(let f):
                guard f.resultType != .value else {
                    throw fail("function '\(f.name)' returns a value, not a logical result", at: start)
                }
                return .not(.function(f))
            case .literal: throw fail("a literal cannot be negated", at: start)
            }
        }
        if peek == "(" { return try parseParen() }
        let start = pos
        let left = try parsePrimary()
        let save = pos
        skipBlank()
        if let op = parseComparisonOp() {
            skipBlank()
            let rightStart = pos
            let right = try parsePrimary()
            return .comparison(try comparable(left, at: start), op, try comparable(right, at: rightStart))
        }
        pos = save
        switch left {
        case .query(let q): return .exists(q)
        case .function(let f):
            guard f.resultType != .value else {
                throw fail("function '\(f.name)' returns a value and must be compared", at: start)
            }
            return .function(f)
        case .literal: throw fail("a literal must be compared", at: start)
        }
    }

    mutating func parseParen() throws(JSONPathError) -> LogicalExpr {
        try expect("(")
        skipBlank()
        let e = try parseLogicalOr()
        skipBlank()
        try expect(")")
        return e
    }

    mutating func parseComparisonOp() -> ComparisonOp? {
        guard let c = peek else { return nil }
        let n = peek(1)
        switch (c, n) {
        case ("=", "="): pos += 2; return .eq
        case ("!", "="): pos += 2; return .ne
        case ("<", "="): pos += 2; return .le
        case (">", "="): pos += 2; return .ge
        case ("<", _): pos += 1; return .lt
        case (">", _): pos += 1; return .gt
        default: return nil
        }
    }

    func comparable(_ p: Primary, at position: Int) throws(JSONPathError) -> Comparable {
        switch p {
        case .literal(let v): return .literal(v)
        case .query(let q):
            guard q.isSingular else { throw fail("only singular queries can be compared", at: position) }
            return .query(q)
        case .function(let f):
            guard f.resultType == .value else { throw fail("function '\(f.name)' does not return a value", at: position) }
            return .function(f)
        }
    }

    mutating func parsePrimary() throws(JSONPathError) -> Primary {
        guard let c = peek else { throw fail("unexpected end of query: expected an expression") }
        switch c {
        case "$", "@":
            pos += 1
            return .query(Query(relative: c == "@", segments: try parseSegments()))
        case "'", "\"":
            return .literal(.string(try parseStringLiteral()))
        case "-", "0"..."9":
            return .literal(.number(try parseNumberLiteral()))
        default:
            if matchWord("true") { return .literal(.bool(true)) }
            if matchWord("false") { return .literal(.bool(false)) }
            if matchWord("null") { return .literal(.null) }
            if c >= "a" && c <= "z" { return .function(try parseFunction()) }
            throw fail("unexpected '\(c)': expected a literal, a query or a function")
        }
    }

    mutating func matchWord(_ word: String) -> Bool {
        let w = Array(word.unicodeScalars)
        guard pos + w.count <= chars.count, Array(chars[pos..<(pos + w.count)]) == w else { return false }
        if let next = peek(w.count), (next >= "a" && next <= "z") || next == "_" || Self.isDigit(next) || next == "(" {
            return false
        }
        pos += w.count
        return true
    }

    mutating func parseNumberLiteral() throws(JSONPathError) -> JSONNumber {
        let start = pos
        if peek == "-" { pos += 1 }
        guard let first = peek, Self.isDigit(first) else { throw fail("invalid number", at: start) }
        pos += 1
        if first == "0", let n = peek, Self.isDigit(n) { throw fail("leading zeros are not allowed", at: start) }
        while let d = peek, Self.isDigit(d) { pos += 1 }
        if peek == "." {
            pos += 1
            guard let d = peek, Self.isDigit(d) else { throw fail("expected a digit after '.'") }
            while let d = peek, Self.isDigit(d) { pos += 1 }
        }
        if peek == "e" || peek == "E" {
            pos += 1
            if peek == "+" || peek == "-" { pos += 1 }
            guard let d = peek, Self.isDigit(d) else { throw fail("expected a digit in the exponent") }
            while let d = peek, Self.isDigit(d) { pos += 1 }
        }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: chars[start..<pos])
        return JSONNumber(lexeme: String(s))
    }

    mutating func parseFunction() throws(JSONPathError) -> FunctionCall {
        try enter()
        defer { depth -= 1 }
        let start = pos
        var name = String.UnicodeScalarView()
        while let c = peek, (c >= "a" && c <= "z") || c == "_" || Self.isDigit(c) {
            name.append(c)
            pos += 1
        }
        let functionName = String(name)
        guard peek == "(" else { throw fail("expected '(' after function name '\(functionName)'") }
        pos += 1
        guard let signature = FunctionRegistry.signatures[functionName] else {
            throw fail("unknown function '\(functionName)'", at: start)
        }
        var arguments: [FunctionArgument] = []
        skipBlank()
        if peek != ")" {
            while true {
                skipBlank()
                arguments.append(try parseArgument())
                skipBlank()
                if peek == "," {
                    pos += 1
                    continue
                }
                break
            }
        }
        try expect(")")
        guard arguments.count == signature.parameters.count else {
            throw fail(
                "function '\(functionName)' takes \(signature.parameters.count) argument(s), got \(arguments.count)", at: start)
        }
        for (arg, param) in zip(arguments, signature.parameters) {
            try checkArgument(arg, against: param, function: functionName, at: start)
        }
        return FunctionCall(name: functionName, arguments: arguments, resultType: signature.result)
    }

    mutating func parseArgument() throws(JSONPathError) -> FunctionArgument {
        let save = pos
        if let c = peek, c != "!", c != "(" {
            // A primary that fails here would fail the same way as the start of a logical expression, so its
            // error is the argument's. (Trying the logical form after it failed doubled the work at each
            // level of nested calls: 22 levels took seconds.)
            let primary = try parsePrimary()
            let after = pos
            skipBlank()
            if peek == "," || peek == ")" {
                pos = after
                switch primary {
                case .literal(let v): return .literal(v)
                case .query(let q): return .query(q)
                case .function(let f): return .function(f)
                }
            }
            pos = save
        }
        return .logical(try parseLogicalOr())
    }

    func checkArgument(_ arg: FunctionArgument, against type: FunctionType, function: String, at position: Int)
        throws(JSONPathError)
    {
        let ok: Bool
        switch (type, arg) {
        case (.value, .literal): ok = true
        case (.value, .query(let q)): ok = q.isSingular
        case (.value, .function(let f)): ok = f.resultType == .value
        case (.value, .logical): ok = false
        case (.logical, .logical), (.logical, .query): ok = true
        case (.logical, .function(let f)): ok = f.resultType != .value
        case (.logical, .literal): ok = false
        case (.nodes, .query): ok = true
        case (.nodes, .function(let f)): ok = f.resultType == .nodes
        case (.nodes, _): ok = false
        }
        if !ok { throw fail("argument of '\(function)' is not well-typed", at: position) }
    }
}
