import Testing

@testable import CityCertJSON

@Suite struct JSONParserTests {
    @Test(arguments: [
        "[1,]", "{\"a\":1,}", "// c\n1", "/* c */ 1", "NaN", "Infinity", "-Infinity", "01", "-01", "1.", ".5", "1e",
        "\"a\u{01}b\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "'a'", "{a:1}", "[1 2]", "tru", "nul", "",
        "1 2", "\"\\x\"", "{\"a\" 1}", "[", "{", "\"abc",
    ])
    func rejectsNonRFC8259(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8WithLocation() throws {
        let bytes: [UInt8] = Array("{\"ok\": 1,\n \"k".utf8) + [0xC3, 0x28] + Array("\": 2}".utf8)
        let error = #expect(throws: JSONParseError.self) { try JSONDocument(bytes: bytes) }
        #expect(error?.location.line == 2)
        #expect(error?.message.contains("UTF-8") == true)
    }

    @Test func acceptsValidDocuments() throws {
        let v = try JSONValue.parse(#"{"a": [1, 2.5, -0, 1e3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}}"#)
        #expect(v["a"]?[7]?.stringValue == "x\né😀")
        #expect(v["b"]?.objectValue?.isEmpty == true)
        #expect(v["a"]?[3]?.numberValue?.lexeme == "1e3")
    }

    /// Locations on long lines start from a column checkpoint every 4 KiB: the same line:column as
    /// counting from the line's start, across multi-byte characters and line breaks, with an origin.
    @Test func locationsOnLongLinesMatchCountingFromTheLineStart() {
        var bytes: [UInt8] = []
        for i in 0..<30_000 {
            bytes += Array((i % 7 == 0 ? "é" : i % 11 == 0 ? "€" : i % 997 == 0 ? "\n" : "a").utf8)
        }
        let origin = SourceLocation(line: 3, column: 5, offset: 100)
        let index = LineIndex(bytes: bytes, origin: origin)
        let offsets = Set(Array(stride(from: 0, through: bytes.count, by: 331)) + [4095, 4096, 4097, 8192, bytes.count])
        // The reference: one pass counting from the start.
        var line = 0
        var column = 1
        for offset in 0...bytes.count {
            if offsets.contains(offset) {
                let expected = SourceLocation(
                    line: origin.line + line, column: line == 0 ? column + origin.column - 1 : column,
                    offset: origin.offset + offset)
                #expect(index.location(ofOffset: offset) == expected, "offset \(offset)")
            }
            guard offset < bytes.count else { break }
            if bytes[offset] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if bytes[offset] & 0xC0 != 0x80 {
                column += 1
            }
        }
    }

    /// Duplicate member names on one line are located from the nearest checkpoint (each was counted from
    /// the line's start: 100,000 of them took over a minute; 0.3 s now in a release build).
    @Test func manyDuplicatesOnOneLine() throws {
        let text = "{" + Array(repeating: #""a":1"#, count: 20_000).joined(separator: ",") + "}"
        let doc = try JSONDocument(string: text)
        #expect(doc.duplicateKeys.count == 19_999)
        #expect(doc.duplicateKeys.last?.location.column == 2 + 6 * 19_999)
    }

    @Test func keepsKeyOrderAndReportsDuplicates() throws {
        let doc = try JSONDocument(string: "{\"z\":1,\"a\":2,\"z\":3}")
        #expect(doc.root.objectValue?.keys == ["z", "a", "z"])
        #expect(doc.root["z"] == .int(3))
        #expect(doc.duplicateKeys.count == 1)
        #expect(doc.duplicateKeys.first?.key == "z")
        #expect(doc.duplicateKeys.first?.location.column == 14)
    }

    @Test func reportsDuplicatesInLargeObjects() throws {
        let members = (0..<20).map { "\"k\($0)\": \($0)" }.joined(separator: ", ")
        let doc = try JSONDocument(string: "{\"outer\": {\(members), \"k3\": \"again\"}}")
        #expect(doc.duplicateKeys.map(\.key) == ["k3"])
        #expect(doc.duplicateKeys.first?.object.description == "/outer")
        #expect(doc.root["outer"]?["k3"] == .string("again"), "the last occurrence wins")
        #expect(doc.root["outer"]?["k19"] == .int(19))
    }

    /// The pointer to an object with a duplicate key is rebuilt from the source: escaped member names,
    /// array indexes, small objects (pairwise check) and large ones (hash index).
    @Test func duplicatePointersThroughNestedContainers() throws {
        let large = (0..<60).map { "\"m\($0)\": \($0)" }.joined(separator: ", ")
        let head = #"{"a~b": [0, {"x/y": [{}, {"k": 1, "k": 2}]}], "\u00e9": {"z": 1, "big": {"#
        let text = head + large + #", "m5": 0}, "z": 2}}"#
        let doc = try JSONDocument(string: text)
        let found = doc.duplicateKeys.map { "\($0.object) \($0.key)" }
        #expect(found == ["/a~0b/1/x~1y/1 k", "/é/big m5", "/é z"])
        // Locations point at the second occurrence of each key.
        #expect(doc.duplicateKeys.first.map { text.utf8.dropFirst($0.location.offset).starts(with: #""k": 2"#.utf8) } == true)
    }

    /// Many objects with duplicates: every pointer is found (in one walk of the tape), in source order,
    /// including an object nested in another object that has its own duplicate.
    @Test func duplicatePointersForManyObjects() throws {
        let items = (0..<2_000).map { i in i % 500 == 7 ? #"{"a": 0, "in": {"b": 1, "b": 2}, "a": 1}"# : #"{"a": 0, "a": 1}"# }
        let doc = try JSONDocument(string: "[" + items.joined(separator: ",") + "]")
        var expected: [String] = []
        for i in 0..<2_000 {
            if i % 500 == 7 { expected.append("/\(i)/in b") }
            expected.append("/\(i) a")
        }
        #expect(doc.duplicateKeys.map { "\($0.object) \($0.key)" } == expected)
    }

    @Test func locatesEveryValue() throws {
        let text = "{\n  \"a\": [10, {\"b\": \"é\", \"c\": null}],\n  \"d\": true\n}"
        let doc = try JSONDocument(string: text)
        #expect(doc.location(of: .root)?.description == "1:1")
        #expect(doc.location(of: try JSONPointer(parsing: "/a"))?.description == "2:8")
        #expect(doc.location(of: try JSONPointer(parsing: "/a/1/c"))?.description == "2:29")
        #expect(doc.location(of: try JSONPointer(parsing: "/d"))?.description == "3:8")
        #expect(doc.location(of: try JSONPointer(parsing: "/nope")) == nil)
    }

    @Test func numbersAreExact() throws {
        let one = try JSONValue.parse("1.0")
        #expect(one == .int(1))
        #expect(try JSONValue.parse("1e2") == .int(100))
        #expect(try JSONValue.parse("100e-2") == .int(1))
        let a = JSONDecimal(lexeme: "0.3")
        #expect(a.isMultiple(of: JSONDecimal(lexeme: "0.1")))
        #expect(!JSONDecimal(lexeme: "0.35").isMultiple(of: JSONDecimal(lexeme: "0.1")))
        #expect(!JSONDecimal(lexeme: "1e308").isMultiple(of: JSONDecimal(lexeme: "0.123456789")))
        #expect(JSONDecimal(lexeme: "12391239123").isMultiple(of: JSONDecimal(lexeme: "1e-8")))
        #expect(JSONDecimal(lexeme: "-2.5") < JSONDecimal(lexeme: "-2.4"))
        #expect(JSONDecimal(lexeme: "10") > JSONDecimal(lexeme: "9.99"))
        #expect(JSONNumber(lexeme: "1.0").isInteger)
        #expect(!JSONNumber(lexeme: "1.5").isInteger)
        #expect(JSONNumber(lexeme: "2e3").int64 == 2000)
    }

    @Test func hostileDeepNestingIsAnError() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        #expect(error?.message.contains("nesting deeper than 512") == true)
    }

    @Test func hostileHugeNumberIsAnError() {
        var bytes = [UInt8](repeating: UInt8(ascii: "7"), count: 100 << 20)
        bytes[0] = UInt8(ascii: "1")
        let error = #expect(throws: JSONParseError.self) { try JSONDocument(bytes: bytes) }
        #expect(error?.message.contains("exceeds the limit") == true)
    }

    /// A literal that reaches the length limit is too long whatever follows it ('.', 'e', a sign, digits),
    /// and the error points at its start; one that ends before the limit is judged on its syntax.
    @Test func numberLengthLimitComesFirst() {
        let digits = String(repeating: "1", count: 4096)
        for tail in [".5", "e5", "e+5", "5", ".", "e"] {
            let error = #expect(throws: JSONParseError.self) { try JSONValue.parse("[" + digits + tail + "]") }
            #expect(error?.message == "number literal exceeds the limit of 4096 bytes", "\(tail)")
            #expect(error?.location.column == 2, "\(tail)")
        }
        #expect(throws: Never.self) { try JSONValue.parse("[" + String(digits.dropFirst(2)) + ".5]") }
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse("[" + String(digits.dropFirst(2)) + ".]") }
        #expect(error?.message == "invalid number: expected a digit after '.'")
    }

    @Test func hostileTenMillionEscapesParseWithinLimits() throws {
        var bytes: [UInt8] = [0x22]
        bytes.reserveCapacity(20_000_002)
        for _ in 0..<10_000_000 { bytes.append(contentsOf: [0x5C, 0x6E]) }
        bytes.append(0x22)
        let value = try JSONDocument(bytes: bytes).root
        #expect(value.stringValue?.utf8.count == 10_000_000)
        var small = JSONParseOptions()
        small.maxStringBytes = 1 << 20
        #expect(throws: JSONParseError.self) { try JSONDocument(bytes: bytes, options: small) }
    }
}

@Suite struct JSONPointerTests {
    @Test func roundTripsEscapes() throws {
        let p = try JSONPointer(parsing: "/a~1b/m~0n/0")
        #expect(p.tokens == ["a/b", "m~n", "0"])
        #expect(p.description == "/a~1b/m~0n/0")
        #expect(throws: JSONPointerError.self) { try JSONPointer(parsing: "a") }
        #expect(throws: JSONPointerError.self) { try JSONPointer(parsing: "/~2") }
        let v = try JSONValue.parse(#"{"a/b": {"m~n": [7]}}"#)
        #expect(p.resolve(in: v) == .int(7))
    }
}

@Suite struct JSONSerializerTests {
    @Test func compactAndPretty() throws {
        let v = try JSONValue.parse(#"{"b":[1,{"c":"\u0001"}],"a":null}"#)
        #expect(JSONSerializer.string(v) == #"{"b":[1,{"c":"\u0001"}],"a":null}"#)
        #expect(
            JSONSerializer.string(v, style: .pretty)
                == "{\n  \"b\": [\n    1,\n    {\n      \"c\": \"\\u0001\"\n    }\n  ],\n  \"a\": null\n}")
    }

    /// RFC 8785 section 3.2.3 example and number forms from its appendix.
    @Test func canonicalForm() throws {
        let v = try JSONValue.parse(
            #"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}"#
        )
        #expect(
            JSONSerializer.string(v, style: .canonical)
                == #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        )
        let sorted = try JSONValue.parse(#"{"\u20ac": 1, "\r": 2, "1": 3, "\ud83d\ude00": 4, "\u0080": 5, "\u00f6": 6}"#)
        #expect(JSONSerializer.string(sorted, style: .canonical) == "{\"\\r\":2,\"1\":3,\"\u{80}\":5,\"ö\":6,\"€\":1,\"😀\":4}")
    }
    /// The double a number keeps is the correctly rounded one (the fast path agrees with strtod).
    @Test func numbersKeepTheNearestDouble() throws {
        var lexemes = [
            "0", "-0", "1", "0.1", "0.3", "1e22", "1e23", "123456789012345", "1234567890123456", "9007199254740993",
            "2.2250738585072014e-308", "1e-400", "1e400", "-12.5e-3", "0.000001", "5e-324", "1.7976931348623157e308", "100e-2",
            "0.0000000000000000000001", "1e+5", "1E-05", "1e0001", "-0.0", "10000000000000000000000", "0e5", "0.1e-22",
            "123456789012345e-22", "999999999999999e22", "0.000000000000000000000000123456789012345",
            // Around the fast path's edge: a significand of 2^53 or less is exact, more goes to strtod.
            "9007199254740992", "9007199254740992e-22", "9007199254740992e22", "900719925474099.2e3", "4503599627370496.5",
            "1234567890123456789", "12345678901234567890", "18446744073709551615", "18446744073709551616.5e-3",
            "0.00000000000000000001", "0.0000000000000000000000000000001e10", "1e-22", "8.98846567431158e307",
        ]
        var state: UInt64 = 7
        for _ in 0..<5_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let digits = String(state >> 20 % 1_000_000_000_000_000)
            let point = Int(state % 7)
            var lexeme = digits
            if point > 0 && point < digits.count {
                lexeme.insert(".", at: lexeme.index(lexeme.startIndex, offsetBy: point))
            }
            let exponent = Int((state >> 8) % 61) - 30
            if state & 1 == 0 { lexeme += "e\(exponent)" }
            lexemes.append((state & 2 == 0 ? "-" : "") + lexeme)
            // Up to 20 digits: significands past 2^53, and past 19 digits (where the scan wraps).
            let long = String(state)
            lexemes.append(point > 0 && point < long.count ? String(long.prefix(point)) + "." + long.dropFirst(point) : long)
        }
        for lexeme in lexemes {
            let parsed = try JSONValue.parse(lexeme)
            let expected = Double(lexeme)!
            #expect(parsed.numberValue?.double == expected, "\(lexeme)")
            #expect(JSONNumber(lexeme: lexeme).double == expected, "\(lexeme)")
        }
    }

    /// Strings are scanned eight bytes at a time: every special byte is found wherever it falls in a block.
    @Test func stringScanFindsSpecialBytesAtEveryOffset() throws {
        for before in 0..<20 {
            let pad = String(repeating: "a", count: before)
            let tail = String(repeating: "b", count: 19 - before)
            // A control character is an error at its own column.
            let error = #expect(throws: JSONParseError.self) { try JSONValue.parse("\"" + pad + "\u{01}" + tail + "\"") }
            #expect(error?.location.column == before + 2, "control character after \(before) bytes")
            // Escapes and non-ASCII text decode exactly.
            #expect(try JSONValue.parse("\"" + pad + "\\\"" + tail + "\"") == .string(pad + "\"" + tail))
            #expect(try JSONValue.parse("\"" + pad + "é😀" + tail + "\"") == .string(pad + "é😀" + tail))
            #expect(try JSONValue.parse("[\"" + pad + "\",\"" + tail + "\"]") == .array([.string(pad), .string(tail)]))
            // Invalid UTF-8 after an ASCII run is still refused.
            var bytes = Array(("\"" + pad).utf8) + [0xC3, 0x28] + Array((tail + "\"").utf8)
            #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: bytes) }
            bytes = Array(("\"" + pad + tail).utf8)
            #expect(throws: JSONParseError.self, "unterminated") { try JSONValue.parse(bytes: bytes) }
        }
    }

    /// The byte-level UTF-8 check accepts exactly what the standard library accepts: every 1- and 2-byte
    /// sequence, every 3-byte sequence that starts with a 3-byte lead, and 200,000 seeded random ones.
    @Test func utf8CheckAgreesWithTheStandardLibrary() {
        func agree(_ bytes: [UInt8]) -> Bool {
            let mine = bytes.withUnsafeBufferPointer { UTF8Check.firstInvalid($0) == nil }
            return mine == (String(validating: bytes, as: UTF8.self) != nil)
        }
        var disagreements: [[UInt8]] = []
        for a in 0...255 {
            if !agree([UInt8(a)]) { disagreements.append([UInt8(a)]) }
            for b in 0...255 where !agree([UInt8(a), UInt8(b)]) { disagreements.append([UInt8(a), UInt8(b)]) }
        }
        for a in 0xE0...0xEF {
            for b in 0...255 {
                for c in stride(from: 0, through: 255, by: 3) where !agree([UInt8(a), UInt8(b), UInt8(c)]) {
                    disagreements.append([UInt8(a), UInt8(b), UInt8(c)])
                }
            }
        }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = UInt8(truncatingIfNeeded: seed >> 56)
            // Mostly lead and continuation bytes, where the rules are.
            return r < 64 ? r : 0x80 | (r & 0x7F)
        }
        for _ in 0..<200_000 {
            let bytes = (0..<Int(next() % 7 + 1)).map { _ in next() }
            if !agree(bytes) { disagreements.append(bytes) }
        }
        #expect(disagreements.isEmpty, "first: \(disagreements.prefix(5))")
    }

    /// A parser keeps its buffers between texts; a tape it returned earlier is not changed by a later parse.
    @Test func tapesSurviveTheNextParse() throws {
        var parser = JSONTapeParser()
        let first = try parser.parse(Array(#"{"a\n": ["x\u00e9", 1.5, {"b": null}], "c": true}"#.utf8))
        let second = try parser.parse(Array(#"["other \"text\"", 2, 3, 4, 5, 6, 7, 8, 9, 10]"#.utf8))
        #expect(first.root() == (try JSONValue.parse(#"{"a\n": ["xé", 1.5, {"b": null}], "c": true}"#)))
        #expect(second.root() == (try JSONValue.parse(#"["other \"text\"", 2, 3, 4, 5, 6, 7, 8, 9, 10]"#)))
        #expect(!first.hasDuplicateKeys)
        #expect(try parser.parse(Array(#"{"k": 1, "k": 2}"#.utf8)).hasDuplicateKeys)
    }
}
