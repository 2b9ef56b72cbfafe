import CityCertRegex
import CityCertTestSupport
import Foundation
import Testing

@Suite struct RegexTests {
    @Test func iRegexpIsValidatedAndTranslated() {
        #expect(IRegexp.translate("a.b") == "a[^\\n\\r]b")
        #expect(IRegexp.translate("[a-z]+\\p{Lu}") != nil)
        #expect(IRegexp.translate("(?:a)") == nil, "non-capturing group syntax is not I-Regexp")
        #expect(IRegexp.translate("\\d") == nil, "\\d is not I-Regexp")
        #expect(IRegexp.translate("a{2,") == nil)
        #expect(IRegexp.compile("ab.", whole: true)?.firstMatch(in: "abc") == .matched)
        #expect(IRegexp.compile("ab.", whole: true)?.firstMatch(in: "xabc") == .notMatched)
        #expect(IRegexp.compile("b", whole: false)?.firstMatch(in: "abc") == .matched)
        #expect(IRegexp.compile("a.c", whole: true)?.firstMatch(in: "a\nc") == .notMatched, "dot excludes line ends")
    }

    @Test func ecmaSemanticsWhereICUDiffers() throws {
        // \d is ASCII-only in ECMA-262 (ICU's \d matches any Unicode digit).
        #expect(ECMARegex.compile("^\\d+$")?.firstMatch(in: "123") == .matched)
        #expect(ECMARegex.compile("^\\d+$")?.firstMatch(in: "١٢٣") == .notMatched)
        // $ is the end of input only.
        #expect(ECMARegex.compile("^abc$")?.firstMatch(in: "abc\n") == .notMatched)
        // \w is ASCII.
        #expect(ECMARegex.compile("^\\w$")?.firstMatch(in: "é") == .notMatched)
        // Not ECMA-262 syntax.
        #expect(ECMARegex.compile("(?i)abc") == nil)
        #expect(ECMARegex.compile("\\a") == nil)
        #expect(ECMARegex.compile("[a-") == nil)
    }

    /// The empty pattern matches everywhere (ICU refuses it as written; it is compiled as `(?:)`).
    @Test func theEmptyPatternMatches() throws {
        let r = try BoundedRegex(icuPattern: "", source: "")
        #expect(r.firstMatch(in: "abc") == .matched)
        #expect(r.firstMatch(in: "") == .matched)
    }

    @Test func catastrophicBacktrackingTimesOut() {
        // A lookahead keeps the pattern on the ICU path, where only the timer stops the backtracking.
        let r = ECMARegex.compile("^(?=a)(a+)+$")!
        #expect(!r.isLinear)
        let start = ContinuousClock.now
        #expect(r.firstMatch(in: String(repeating: "a", count: 40_000) + "!", timeLimit: 0.3) == .timedOut)
        #expect(ContinuousClock.now - start < .seconds(15))
    }

    @Test func regularPatternsCannotBacktrack() {
        // The same nested quantifier without the lookahead goes to the automaton: an answer, not a timeout.
        let r = ECMARegex.compile("^(a+)+$")!
        #expect(r.isLinear)
        #expect(r.firstMatch(in: String(repeating: "a", count: 200_000) + "!", timeLimit: 0.3) == .notMatched)
        #expect(r.firstMatch(in: String(repeating: "a", count: 200_000), timeLimit: 0.3) == .matched)
    }

    /// A pattern whose automaton would take too long to build goes to ICU, and still answers.
    @Test func hugePatternsFallBackToICU() {
        let literal = String(String.UnicodeScalarView((0x4E00..<0x4E00 + 2_500).compactMap(Unicode.Scalar.init)))
        let start = ContinuousClock.now
        #expect(LinearRegex(ecma: literal) == nil)
        let r = ECMARegex.compile(literal)
        #expect(r?.firstMatch(in: "x" + literal) == .matched)
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    /// Patterns the automaton takes (left) and ones it leaves to ICU (right).
    @Test func linearSubsetBoundaries() {
        for p in [
            "^[A-Z]{2}$", "a|b|", "(?:ab)*?c", "[^]", "[]", "\\u{1F600}", "\\uD83D\\uDE00", "[\\d-]", "x{0,3}y{2,}",
            "\\cJ", "\\x41\\0", "[\\b]", "^$",
        ] {
            #expect(LinearRegex(ecma: p) != nil, "\(p)")
        }
        for p in [
            "(a)\\1", "(?=a)", "(?!a)", "(?<=a)b", "\\bword", "\\p{L}", "(?<n>a)", "a{2,1}", "a**", "[\\w-.]", "{", "a{",
            "\\a", "\\k<n>",
        ] {
            #expect(LinearRegex(ecma: p) == nil, "\(p)")
        }
    }

    /// The automaton and ICU give the same answer on every pattern the automaton takes: a fixed set
    /// covering the syntax plus every `pattern` in the shipped profiles' schemas, each against strings
    /// drawn at random (fixed seed) from the pattern's own characters and a few others.
    @Test func automatonAgreesWithICU() throws {
        var patterns = [
            "^[A-Za-z0-9_]+,\\s?-?[0-9.]+,\\s?[A-Za-z0-9/]+,\\s?.+$", "^[\\w\\-\\.\\{\\}\\$\\+\\*\\[\\]`|~^@!,:\\\\]+$",
            "^[0-9A-Z\\- ]{3,10}$", "^AQ[0-9]{2}$", "a+b*c?", "(ab|a)(bc|c)$", "^(a|b)*?abb$", "x.y", "^.{2,4}$",
            "[^a-c]+", "\\D\\W\\S", "^\\s*$", "(?:é|😀)+", "^[\\u00e0-\\u00ff]{1,3}$", "a{3}", "^(?:a{0,2}b){2}$",
            "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$", "[\\^\\]\\-]", "^\\$\\.\\*", "^(a+)+$", "b$|^a", "\\n|\\r", "[\\s\\d]",
        ]
        patterns += try Self.profilePatterns()
        var rng = SplitMix(seed: 9535)
        var checked = 0
        for p in patterns {
            guard let linear = LinearRegex(ecma: p), let icu = ECMARegex.translate(p) else { continue }
            let reference = try BoundedRegex(icuPattern: icu, source: p)
            var alphabet = Array(Set(p.unicodeScalars.filter { !"\\^$[]{}()|*+?".unicodeScalars.contains($0) }))
            alphabet += ["a", "b", "c", "0", "9", " ", "\n", ",", "-", ".", "é", "😀", "A", "Z", "_", "\u{2028}"]
            for _ in 0..<400 {
                var s = String.UnicodeScalarView()
                for _ in 0..<Int(rng.next() % 14) { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
                let subject = String(s)
                let expected = reference.firstMatch(in: subject) == .matched
                #expect(linear.matches(subject) == expected, "pattern \(p) on \(subject.debugDescription)")
                checked += 1
            }
        }
        #expect(checked >= 400 * 25, "too few patterns reached the automaton: \(checked / 400)")
    }

    static func profilePatterns() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Profiles")
        var found = Set<String>()
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            guard url.pathExtension == "json", let data = FileManager.default.contents(atPath: url.path),
                let json = try? JSONSerialization.jsonObject(with: data)
            else { continue }
            collect(json, &found)
        }
        return found.sorted()
    }

    static func collect(_ value: Any, _ found: inout Set<String>) {
        if let object = value as? [String: Any] {
            if let p = object["pattern"] as? String { found.insert(p) }
            for v in object.values { collect(v, &found) }
        } else if let array = value as? [Any] {
            for v in array { collect(v, &found) }
        }
    }

    @Test func capturesGiveGroups() {
        let r = ECMARegex.compile("/([^/]+)$")!
        #expect(r.captures(in: "/cse-in/ae-1") == .matched(["/ae-1", "ae-1"]))
        #expect(r.captures(in: "none") == .notMatched)
    }

    /// Captures are bounded in time like matches (a capture regex could hang a run, and no signal stopped
    /// it): a catastrophic pattern gives `.timedOut`, never "does not match".
    @Test func capturesAreBoundedInTime() {
        let r = ECMARegex.compile("(?=a)(a|aa)+$")!
        let start = ContinuousClock.now
        #expect(r.captures(in: String(repeating: "a", count: 40_000) + "!", timeLimit: 0.3) == .timedOut)
        #expect(ContinuousClock.now - start < .seconds(15))
        #expect(ECMARegex.compile("/([^/]+)$")!.captures(in: "/things/42") == .matched(["/42", "42"]))
        #expect(ECMARegex.compile("^x")!.captures(in: "abc") == .notMatched)
    }
}
