import CityCertRegex
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

    @Test func catastrophicBacktrackingTimesOut() {
        let r = ECMARegex.compile("^(a+)+$")!
        let start = ContinuousClock.now
        #expect(r.firstMatch(in: String(repeating: "a", count: 40_000) + "!", timeLimit: 0.3) == .timedOut)
        #expect(ContinuousClock.now - start < .seconds(15))
    }

    @Test func capturesGiveGroups() {
        let r = ECMARegex.compile("/([^/]+)$")!
        #expect(r.captures(in: "/cse-in/ae-1")?.last == "ae-1")
        #expect(r.captures(in: "none") == nil)
    }
}
