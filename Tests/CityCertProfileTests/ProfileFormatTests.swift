import CityCertCore
import CityCertJSON
import CityCertJSONSchema
import CityCertProfile
import CityCertTestSupport
import Foundation
import Testing

@Suite struct ProfileFormatTests {
    static let profiles: [String] = {
        var out: [String] = []
        for folder in ["Profiles", "Fixtures/loopback"] {
            let root = Repository.root.appendingPathComponent(folder).path
            for case let rel as String in FileManager.default.enumerator(atPath: root) ?? FileManager.DirectoryEnumerator()
            where rel.hasSuffix("profile.yaml") { out.append(folder + "/" + rel) }
        }
        return out.sorted()
    }()

    /// Every shipped profile validates against the published profile-format schema, and loads.
    @Test(arguments: profiles)
    func shippedProfileMatchesTheFormatSchema(_ relative: String) throws {
        let url = Repository.root.appendingPathComponent(relative)
        let text = try String(contentsOf: url, encoding: .utf8)
        let json = try ProfileLoader.json(yaml: text, file: relative)
        let schema = try JSONSchema(document: JSONValue.parse(bytes: Repository.read(Repository.profile("profile.schema.json"))))
        let errors = schema.validate(json)
        #expect(errors.isEmpty, "\(errors.prefix(5))")
        _ = try ProfileLoader().load(path: url.path)
    }

    /// FORMAT.md and profile.schema.json describe the same keys: every key the schema allows is documented
    /// (as `key:` or `key` in backticks), and every key the prose names as `` `key:` `` is one the schema
    /// allows (swift-format's GeneratedFilesValidityTests, gtfs-validator's NoticeDocumentationTest).
    @Test func formatDocAndSchemaDescribeTheSameKeys() throws {
        let schema = try JSONValue.parse(bytes: Repository.read(Repository.profile("profile.schema.json")))
        var keys = Set<String>()
        func walk(_ v: JSONValue) {
            switch v {
            case .object(let o):
                for (k, child) in o.uniqueEntries {
                    if k == "properties", case .object(let props) = child { keys.formUnion(props.uniqueEntries.map(\.key)) }
                    walk(child)
                }
            case .array(let a): a.forEach(walk)
            default: break
            }
        }
        walk(schema)
        #expect(keys.count > 100, "the walk found the schema's keys")
        let doc = String(decoding: try Repository.read(Repository.profile("FORMAT.md")), as: UTF8.self)
        func isWordScalar(_ u: Unicode.Scalar) -> Bool { u.properties.isAlphabetic || ("0"..."9").contains(u) || u == "_" }
        /// `key` followed by `:` or a backtick, not preceded by a letter, digit or underscore.
        func documented(_ key: String) -> Bool {
            var from = doc.startIndex
            while let r = doc.range(of: key, range: from..<doc.endIndex) {
                let before =
                    r.lowerBound == doc.startIndex ? nil : doc.unicodeScalars[doc.unicodeScalars.index(before: r.lowerBound)]
                let after = r.upperBound == doc.endIndex ? nil : doc.unicodeScalars[r.upperBound]
                if before.map({ !isWordScalar($0) }) ?? true, after == ":" || after == "`" { return true }
                from = r.upperBound
            }
            return false
        }
        let undocumented = keys.filter { !documented($0) }.sorted()
        #expect(undocumented.isEmpty, "keys of profile.schema.json that FORMAT.md does not document: \(undocumented)")
        // Keys the prose names as `key: …` that the schema does not allow.
        var named = Set<String>()
        var rest = doc[...]
        while let tick = rest.firstIndex(of: "`") {
            let after = rest[rest.index(after: tick)...]
            let word = after.prefix { $0.isLowercase || $0 == "_" }
            if !word.isEmpty, after.dropFirst(word.count).first == ":" { named.insert(String(word)) }
            rest = after
        }
        #expect(named.count > 10, "the scan found prose keys")
        #expect(
            named.subtracting(keys).isEmpty, "FORMAT.md names keys the schema does not allow: \(named.subtracting(keys).sorted())"
        )
    }

    @Test func templatesSplitAndRender() throws {
        let t = try Template(parsing: "{{base_url}}/ae/{{ run_id }}-x")
        #expect(t.variables == ["base_url", "run_id"])
        #expect(t.render { ["base_url": "http://h", "run_id": "r1"][$0] } == "http://h/ae/r1-x")
        #expect(throws: TemplateError.self) { try Template(parsing: "{{open") }
        #expect(throws: TemplateError.self) { try Template(parsing: "{{a b}}") }
        // Names: ASCII letters, digits, _ . - byte by byte, other letters and digits as Unicode says.
        #expect(try Template(parsing: "{{a.b-c_9}}").variables == ["a.b-c_9"])
        #expect(try Template(parsing: "{{straße}}{{x٣}}").variables == ["straße", "x٣"])
        for bad in ["{{a/b}}", "{{a:b}}", "{{a+b}}", "{{a→b}}", "{{ }}"] {
            #expect(throws: TemplateError.self, "\(bad)") { try Template(parsing: bad) }
        }
    }

    /// Duplicate keys are refused at their second occurrence, in small mappings (compared pairwise) and
    /// large ones (through a set); a key written plain and quoted is the same key.
    @Test func duplicateKeysPointAtTheSecondOccurrence() throws {
        let small = "a: 1\nb: 2\n'a': 3\n"
        let large = (0..<12).map { "k\($0): \($0)\n" }.joined() + "k3: again\n"
        for (text, line, name) in [(small, 3, "a"), (large, 13, "k3")] {
            do {
                _ = try ProfileLoader.json(yaml: text, file: "t.yaml")
                Issue.record("no error for \(name)")
            } catch let e as ProfileError {
                #expect(e.line == line && e.column == 1 && e.message == "duplicate key '\(name)'", "\(e)")
            }
        }
    }

    /// A UTF-8 byte order mark is skipped; a character libyaml refuses is placed as libyaml counts
    /// (code points, and CR alone as a line break).
    @Test func byteOrderMarkAndRefusedCharacters() throws {
        let value = try ProfileLoader.json(yaml: "\u{FEFF}a: 1\nb: [2]\n", file: "t.yaml")
        #expect(JSONSerializer.string(value) == #"{"a":1,"b":[2]}"#)
        for (text, line, column) in [
            ("a: 1\nb: \"e\u{301}e\u{301}\u{1}\"\n", 2, 9), ("a: 1\rb: \"\u{1}\"\r", 2, 5), ("\u{FEFF}a: \"\u{1}\"\n", 1, 5),
        ] {
            do {
                _ = try ProfileLoader.json(yaml: text, file: "t.yaml")
                Issue.record("no error for \(text.debugDescription)")
            } catch let e as ProfileError {
                #expect(e.line == line && e.column == column, "\(e)")
                #expect(e.message == "YAML syntax: control characters are not allowed")
            }
        }
    }

    /// Written nesting is bounded by libyaml; the 1,000-level limit applies to values reached through an
    /// alias, so a deep value beside an unrelated alias is not refused.
    @Test func deepValueBesideAnAliasIsKept() throws {
        // 4 mapping levels and 998 lists: 1,003 levels, as libyaml counts within its limit.
        let deep = String(repeating: "[", count: 998) + "1" + String(repeating: "]", count: 998)
        let value = try ProfileLoader.json(yaml: "a:\n  b:\n    c:\n      d: \(deep)\nx: &x 1\ny: *x\n", file: "t.yaml")
        guard case .object(let o) = value else { throw ProfileError(file: "", line: 0, column: 0, message: "not an object") }
        #expect(o["y"] == .number(JSONNumber(1)))
    }

    /// An alias stands for a copy of its anchor's value (anchored scalars and collections alike).
    @Test func aliasesStandForTheirAnchorsValue() throws {
        let value = try ProfileLoader.json(yaml: "a: &x [1, {b: &s two}]\nc: *x\nd: *s\n", file: "t.yaml")
        #expect(JSONSerializer.string(value) == #"{"a":[1,{"b":"two"}],"c":[1,{"b":"two"}],"d":"two"}"#)
    }

    /// Plain scalars typed as the YAML 1.2 core schema does (10.3.2), numbers kept exact as JSON lexemes.
    @Test func plainScalarsResolveAsJSON() throws {
        let cases: [(String, String)] = [
            ("0", "0"), ("-0", "-0"), ("7", "7"), ("-12", "-12"),
            ("123456789012345678901234567890", "123456789012345678901234567890"), ("1.50", "1.50"), ("1e3", "1e3"),
            ("-2.5E-3", "-2.5E-3"), ("+1", "1"), ("00", "0"), ("01", "1"), ("-x", "\"-x\""), ("0x10", "16"),
            ("'7'", "\"7\""), ("true", "true"), ("~", "null"), ("12a", "\"12a\""), ("1_000", "\"1_000\""),
            ("+-5", "\"+-5\""), ("0x1p3", "\"0x1p3\""), ("0X10", "\"0X10\""), ("-0x10", "\"-0x10\""), ("0o17", "15"),
            ("0o8", "\"0o8\""), (".5", "0.5"), ("1.", "1"), ("+1.5", "1.5"), ("-.5e2", "-0.5e2"), ("1.e5", "1e5"),
            ("+123456789012345678901234", "123456789012345678901234"), (".inf", "\".inf\""), ("1e", "\"1e\""),
            (".", "\".\""), ("0xFFFFFFFFFFFFFFFFFF", "4722366482869645213695"),
            ("0o7777777777777777777777", "73786976294838206463"),
        ]
        for (yaml, json) in cases {
            let value = try ProfileLoader.json(yaml: "v: \(yaml)", file: "t.yaml")
            guard case .object(let o) = value, let v = o["v"] else {
                Issue.record("\(yaml): not a mapping")
                continue
            }
            #expect(JSONSerializer.string(v) == json, "\(yaml)")
        }
    }

    @Test func loaderCompilesEverythingUpFront() throws {
        let yaml = """
            citycert: 1
            id: t
            title: T
            version: "1"
            standard: {name: S, version: "1"}
            inputs: {base: {}}
            requirements:
              - id: A
                title: a
                clause: "1"
                level: should
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base}}/x", method: post, json: {n: "{{run_id}}"}}
                          timeout: {total: 250ms}
                          expect: {status: [201, 202], headers: {Content-Type: "application/json; charset=utf-8"}, duration_below: 1.5}
                          capture: {loc: {header: Location, regex: "/([^/]+)$"}}
              - id: B
                title: b
                clause: "2"
                level: MUST
                needs: A
                checks: [{http: {steps: [{request: {url: "{{base}}/{{loc}}"}, expect: {any: true}}]}}]
            """
        let p = try ProfileLoader().load(text: yaml, file: "inline.yaml")
        #expect(p.requirements.map(\.level) == [.should, .must])
        guard case .http(let h) = p.requirements[0].checks[0] else {
            Issue.record("expected an http check")
            return
        }
        #expect(h.steps[0].method == "POST")
        #expect(h.steps[0].writes)
        #expect(h.steps[0].totalTimeout == 0.25)
        #expect(h.steps[0].expect.durationBelow == 1.5)
        #expect(p.requirements[1].needs == ["A"])
        // The capture makes {{loc}} known only after A: using it earlier is an error.
        let early = yaml.replacingOccurrences(of: "{{base}}/x", with: "{{base}}/{{loc}}")
        let error = #expect(throws: ProfileError.self) { try ProfileLoader().load(text: early, file: "inline.yaml") }
        #expect(error?.message.contains("unknown variable '{{loc}}'") == true)
    }

    @Test func symbolicLinksCannotLeaveTheProfileFolder() throws {
        let dir = NSTemporaryDirectory() + "citycert-symlink-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/leak.json", withDestinationPath: Repository.root.appendingPathComponent("Package.swift").path)
        let yaml =
            "citycert: 1\nid: s\ntitle: S\nversion: '1'\nstandard: {name: S, version: '1'}\nschemas:\n  leak: {file: leak.json}\nrequirements: []\n"
        try yaml.write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
        let error = #expect(throws: ProfileError.self) { try ProfileLoader().load(path: dir + "/profile.yaml") }
        #expect(error?.message.contains("outside the profile's folder") == true)
        #expect(error?.line == 7)
    }

    /// Profiles/README.md equals its regeneration (CITYCERT_RECORD=profiles-readme rewrites it and fails).
    @Test func profileIndexIsUpToDate() throws {
        let root = Repository.root.appendingPathComponent("Profiles")
        var loaded: [(path: String, profile: Profile)] = []
        for case let rel as String in FileManager.default.enumerator(atPath: root.path) ?? FileManager.DirectoryEnumerator()
        where rel.hasSuffix("profile.yaml") {
            loaded.append((rel, try ProfileLoader().load(path: root.appendingPathComponent(rel).path)))
        }
        let generated = ProfileIndex.markdown(loaded)
        let file = root.appendingPathComponent("README.md")
        switch Recording.mode("profiles-readme") {
        case .record:
            Issue.record(Comment(rawValue: try Recording.write(generated, to: file)))
            return
        case .refused(let why): Issue.record(Comment(rawValue: why))
        case .compare: break
        }
        #expect(
            try String(contentsOf: file, encoding: .utf8) == generated,
            "regenerate with: citycert list --markdown Profiles > Profiles/README.md")
    }

    /// Each profile with an official tests list has its COVERAGE.md next to it, equal to its regeneration
    /// (CITYCERT_RECORD=profiles-readme rewrites it and fails).
    @Test func officialCoverageTablesAreUpToDate() throws {
        let root = Repository.root.appendingPathComponent("Profiles")
        var checked = 0
        for case let rel as String in FileManager.default.enumerator(atPath: root.path) ?? FileManager.DirectoryEnumerator()
        where rel.hasSuffix("profile.yaml") {
            let profile = try ProfileLoader().load(path: root.appendingPathComponent(rel).path)
            guard profile.officialTests != nil else { continue }
            let coverage = OfficialCoverage(profile: profile)
            #expect(coverage.unexplained.isEmpty, "\(rel): tests with neither a requirement nor a reason")
            let generated = coverage.markdown(profile: profile)
            let file = root.appendingPathComponent(rel).deletingLastPathComponent().appendingPathComponent("COVERAGE.md")
            checked += 1
            switch Recording.mode("profiles-readme") {
            case .record:
                Issue.record(Comment(rawValue: try Recording.write(generated, to: file)))
                continue
            case .refused(let why): Issue.record(Comment(rawValue: why))
            case .compare: break
            }
            #expect(
                (try? String(contentsOf: file, encoding: .utf8)) == generated,
                "regenerate with: citycert coverage \(rel) > \(file.path)")
        }
        #expect(checked >= 1)
    }

    /// `official_tests` and `covers` (1.1): a cover names a listed test or one of its variants; a test the
    /// list marks not testable cannot be covered; ids are unique; the coverage counts variants.
    @Test func officialTestsAndCovers() throws {
        let dir = NSTemporaryDirectory() + "citycert-official-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ list: String, covers: String) throws -> String {
            try list.write(toFile: dir + "/tests.yaml", atomically: true, encoding: .utf8)
            let profile = """
                \(InlineProfile.head(format: "1.1"))
                official_tests: tests.yaml
                inputs: {base_url: {}}
                requirements:
                  - id: R
                    title: r
                    clause: "1"
                    level: MUST
                    covers: \(covers)
                    checks: [{http: {steps: [{request: {url: "{{base_url}}/"}, expect: {status: 200}}]}}]
                """
            try profile.write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
            return dir + "/profile.yaml"
        }
        let list = """
            suite: S
            source: here
            default: later
            reasons:
              later: {status: left-out, why: not yet}
              remote: {status: not-testable, why: needs two servers}
            tests:
              - {id: T/1, variants: [A, B, C]}
              - {id: T/2}
              - {id: T/3, reason: remote}
            """
        let p = try ProfileLoader().load(path: try write(list, covers: "[T/1_A, T/2]"))
        let c = OfficialCoverage(profile: p)
        #expect(c.total == 5 && c.implemented == 2 && c.applicable == 4 && c.count(.leftOut) == 2)
        #expect(c.summary.hasPrefix("2 of 4 applicable test cases implemented (50.0 %)"))
        #expect(c.markdown(profile: p).contains("| T/1 | B, C | left-out: later |"))
        #expect(try ProfileLoader().load(path: try write(list, covers: "[T/1]")).requirements[0].covers == ["T/1"])
        // Without a default reason, an uncovered test is still left out, never implemented.
        let noDefault = list.replacingOccurrences(of: "default: later\n", with: "")
        let bare = OfficialCoverage(profile: try ProfileLoader().load(path: try write(noDefault, covers: "[T/2]")))
        #expect(bare.implemented == 1 && bare.count(.leftOut) == 3 && bare.unexplained.count == 3)
        for (covers, message) in [
            ("[T/9]", "'T/9' is not a test of tests.yaml"), ("[T/1_D]", "'T/1_D' is not a test of tests.yaml"),
            ("[T/3]", "covers T/3, which tests.yaml marks not-testable"),
        ] {
            let error = #expect(throws: ProfileError.self) { try ProfileLoader().load(path: try write(list, covers: covers)) }
            #expect(error?.message.contains(message) == true, "\(error?.description ?? "")")
        }
        let duplicate = list + "\n  - {id: T/2}\n"
        let error = #expect(throws: ProfileError.self) { try ProfileLoader().load(path: try write(duplicate, covers: "[T/2]")) }
        #expect(error?.description.contains("tests.yaml:11:") == true, "\(error?.description ?? "")")
        #expect(error?.message.contains("duplicate official test 'T/2'") == true)
    }

    /// Recording expected files is one switch per suite, refused where CI is set, and never silent.
    @Test func recordingIsPerSuiteAndRefusedInCI() {
        #expect(Recording.mode("gtfs", environment: [:]) == .compare)
        #expect(Recording.mode("gtfs", environment: ["CITYCERT_RECORD": "sdm"]) == .compare)
        #expect(Recording.mode("gtfs", environment: ["CITYCERT_RECORD": "sdm,gtfs"]) == .record)
        #expect(Recording.mode("gtfs", environment: ["CITYCERT_RECORD": "all"]) == .record)
        if case .refused(let why) = Recording.mode("gtfs", environment: ["CITYCERT_RECORD": "gtfs", "CI": "true"]) {
            #expect(why.contains("refused where CI is set"))
        } else {
            Issue.record("recording was not refused under CI")
        }
        if case .refused = Recording.mode("gtfs", environment: ["CITYCERT_RECORD_GOLDENS": "1"]) {
        } else {
            Issue.record("the old switch was silently ignored")
        }
    }

    /// Every requirement of every shipped profile says what it rests on: a clause, a level, and a quote of
    /// the normative text that is not a placeholder (QUOTE_JSONLD_TERMS reached every SDM report).
    @Test(arguments: profiles.filter { $0.hasPrefix("Profiles/") })
    func everyShippedRequirementHasItsClauseAndQuote(_ relative: String) throws {
        let p = try ProfileLoader().load(path: Repository.root.appendingPathComponent(relative).path)
        for r in p.requirements {
            #expect(!r.clause.trimmingCharacters(in: .whitespaces).isEmpty, "\(relative) \(r.id): no clause")
            let quote = r.quote?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            #expect(quote.count >= 12, "\(relative) \(r.id): no quote of the normative text")
            // A placeholder: an upper-case identifier, TODO/TBD/FIXME, or an ellipsis standing for the text.
            let placeholder =
                quote.range(of: "^[A-Z0-9_]+$", options: .regularExpression) != nil
                || quote.range(of: "\\b(TODO|TBD|FIXME|XXX)\\b", options: .regularExpression) != nil || quote == "…"
                || quote == "..."
            #expect(!placeholder, "\(relative) \(r.id): placeholder quote '\(quote)'")
        }
    }

    /// The SDM domain profiles are generated (.ci/gen-sdm-profiles.py, from a table and the shipped
    /// schemas): the committed files are exactly its output, so regenerating them is one command.
    @Test func smartDataModelsProfilesEqualTheirGeneration() async throws {
        let result = try await Subprocess.run(
            "/usr/bin/env", ["python3", Repository.root.appendingPathComponent(".ci/gen-sdm-profiles.py").path, "--check"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    /// No file outside the profile's folder is read through a symbolic link inside it (issue 15, defect 5):
    /// not from a catalog `index:` folder, not from an `ocpp-j/payload` schemas folder; and a catalog entry
    /// pointing outside is a profile error (exit 2), not a crash of the compile (exit 1).
    @Test func linksInCatalogAndRuleFoldersCannotLeaveTheProfileFolder() throws {
        let base = NSTemporaryDirectory() + "citycert-sandbox-\(UUID().uuidString)"
        let dir = base + "/profile"
        try FileManager.default.createDirectory(atPath: dir + "/schemas", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/ocpp", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try #"{"$id": "https://x.invalid/outside.json", "type": "object", "description": "outside-canary"}"#.write(
            toFile: base + "/outside.json", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/schemas/link.json", withDestinationPath: base + "/outside.json")
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/ocpp/BootNotificationRequest.json", withDestinationPath: base + "/outside.json")
        try #"{"https://x.invalid/o.json": "../outside.json"}"#.write(
            toFile: dir + "/catalog.json", atomically: true, encoding: .utf8)
        let head = "citycert: 1\nid: t\ntitle: T\nversion: \"1\"\nstandard: {name: S, version: \"1\"}\n"
        let req =
            "requirements:\n  - {id: A, title: a, clause: \"1\", level: MUST, checks: [{data: {files: [\"*.json\"], %@}}]}\n"
        var cases: [(String, String)] = [
            (
                "catalog: {index: [schemas]}\n" + String(format: req, "schema: {schema: {type: object}}"),
                "leads outside the profile folder"
            ),
            (String(format: req, "rule: {id: ocpp-j/payload, schemas: ocpp}"), "leads outside the profile's folder"),
            (
                "catalog: catalog.json\n" + String(format: req, "schema: {schema: {type: object}}"),
                "points outside the profile folder"
            ),
        ]
        // A chain of 25 links inside the folder (Foundation stops resolving at 20 and returned the path as it
        // was, inside the folder, while the kernel follows up to 40 when the file is opened).
        try FileManager.default.createSymbolicLink(atPath: dir + "/l0", withDestinationPath: base + "/outside.json")
        for i in 1...25 {
            try FileManager.default.createSymbolicLink(atPath: dir + "/l\(i)", withDestinationPath: dir + "/l\(i - 1)")
        }
        cases.append(("schemas:\n  s: {file: l25}\n" + String(format: req, "schema: s"), "outside the profile's folder"))
        // A rule's schemas are checked against their meta-schema like the profile's own.
        try FileManager.default.createDirectory(atPath: dir + "/ocpp2", withIntermediateDirectories: true)
        try #"{"$schema": "http://json-schema.org/draft-06/schema#", "type": "object", "requird": ["a"]}"#.write(
            toFile: dir + "/ocpp2/BootNotificationRequest.json", atomically: true, encoding: .utf8)
        cases.append(
            (String(format: req, "rule: {id: ocpp-j/payload, schemas: ocpp2}"), "'requird' is not a JSON Schema keyword"))
        for (body, message) in cases {
            try (head + body).write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
            do {
                _ = try ProfileLoader().load(path: dir + "/profile.yaml")
                Issue.record("loaded: \(body)")
            } catch let e as ProfileError {
                #expect(e.message.contains(message), "\(e)")
                #expect(!e.description.contains("outside-canary"))
            }
        }
    }
}
