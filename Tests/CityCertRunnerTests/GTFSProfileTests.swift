import CityCertCore
import CityCertGTFS
import CityCertJSON
import CityCertProfile
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing
import ZIPFoundation

/// The GTFS profile over the transitfeed test feeds, the spec's sample feed (folder and the 2007 zip)
/// and conveyal's real-world feeds: every feed's findings are pinned in
/// Fixtures/gtfs/expected-findings.txt (CITYCERT_RECORD=gtfs rewrites it and fails); the named cases are
/// asserted with their code and place.
@Suite struct GTFSProfileTests {
    static func feeds() -> [String] {
        var out: [String] = []
        for group in ["transitfeed", "conveyal"] {
            let root = Repository.fixture("gtfs/\(group)")
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
            for n in names where !n.hasPrefix("LICENSE") && !n.hasPrefix("COPYING") && !n.hasSuffix(".kml") && !n.hasSuffix(".md")
            {
                out.append("Fixtures/gtfs/\(group)/\(n)")
            }
        }
        return out + ["Fixtures/gtfs/google-sample-feed-1", "Fixtures/gtfs/google-sample-feed-1.zip"]
    }

    static func findings(_ report: RunReport) -> [(String, DataFinding)] {
        report.requirements.flatMap { r in VerdictListing.findings(r).map { (r.id, $0) } }
    }

    @Test func everyFixtureFeedIsPinned() async throws {
        let feeds = Self.feeds()
        let expectedCount = 48  // transitfeed: 37 folders + 3 zips; conveyal: 5 folders + 1 zip; the sample feed and its zip
        #expect(feeds.count == expectedCount)
        var text = ""
        for feed in feeds {
            let report = try await VerdictListing.run(profile: "gtfs/schedule/profile.yaml", paths: [feed])
            text +=
                "## \(feed)\n"
                + VerdictListing.render(report).split(separator: "\n").dropFirst().filter { !$0.hasSuffix(" passed") }
                .joined(separator: "\n") + "\n"
        }
        try VerdictListing.expectGolden(text, "gtfs/expected-findings.txt", suite: "gtfs")
    }

    /// The profile reports every code the engine emits, names no other, and uses the reference
    /// validator's codes except for the two citycert adds.
    @Test func noticeCodesStayInStep() throws {
        let profile = try ProfileLoader().load(path: Repository.profile("gtfs/schedule/profile.yaml").path)
        var reported = Set<String>()
        for r in profile.requirements {
            for case .gtfs(let g) in r.checks { reported.formUnion(g.notices) }
        }
        #expect(reported == GTFSNotice.codes)
        let reference = try JSONValue.parse(
            bytes: Repository.read(Repository.fixture("gtfs/gtfs-validator-notices-extract.json")))
        let referenceCodes = Set((reference.arrayValue ?? []).compactMap { $0["code"]?.stringValue })
        #expect(referenceCodes.count == 182)
        #expect(GTFSNotice.codes.subtracting(referenceCodes) == ["invalid_utf8", "utf8_bom", "tab_in_value"])
    }

    /// Every code has one severity, and it is gtfs-validator's for every code the two share (its notice
    /// list, Fixtures/gtfs/gtfs-validator-notices-extract.json, is the oracle).
    @Test func severitiesAreTheReferenceValidators() throws {
        let reference = try JSONValue.parse(
            bytes: Repository.read(Repository.fixture("gtfs/gtfs-validator-notices-extract.json")))
        var severity: [String: String] = [:]
        for n in reference.arrayValue ?? [] { severity[n["code"]?.stringValue ?? ""] = n["severity"]?.stringValue }
        for code in GTFSNoticeCode.allCases where severity[code.rawValue] != nil {
            #expect(code.severity.rawValue == severity[code.rawValue], "\(code.rawValue)")
        }
    }

    /// Notices past the validator's limit per code are counted, not dropped: the check's total and its
    /// "more findings" line include them.
    @Test func noticesPastThePerCodeLimitAreCounted() async throws {
        let profile = try ProfileLoader().load(path: Repository.profile("gtfs/schedule/profile.yaml").path)
        guard case .gtfs(let check) = profile.requirements.first(where: { $0.id == "GTFS-FILE-004" })?.checks[0] else {
            Issue.record("GTFS-FILE-004 has no gtfs check")
            return
        }
        var validator = GTFSValidator(schema: check.schema, limits: check.limits)
        validator.maxNoticesPerCode = 1
        let result = validator.validate(feed: Repository.fixture("gtfs/transitfeed/googletransit/good_feed").path)
        #expect(result.notices.filter { $0.code == .unknownColumn }.count == 1)
        #expect(result.dropped[.unknownColumn]?["feed_info.txt"] == 2)
    }

    /// A notice code no GTFS check of the profile names is listed in the report, not silently dropped.
    @Test func noticesNoRequirementReportsAreListed() async throws {
        let p = try ProfileLoader().load(
            text: """
                citycert: 1
                id: t
                title: T
                version: "1"
                standard: {name: S, version: "1"}
                requirements:
                  - {id: K, title: k, clause: "1", level: MUST, checks: [{gtfs: {schema: gtfs-schema.json, notices: [foreign_key_violation]}}]}
                """, file: Repository.profile("gtfs/schedule/inline.yaml").path)
        var options = RunOptions()
        options.paths = [Repository.fixture("gtfs/transitfeed/googletransit").path]
        let report = try await Runner(profile: p, transport: nil, options: options).run()
        #expect(report.coverage?.unreportedNotices == ["unknown_column": 3])
    }

    @Test func namedFeedsReportTheirCodeAndPlace() async throws {
        func run(_ feed: String) async throws -> RunReport {
            try await VerdictListing.run(profile: "gtfs/schedule/profile.yaml", paths: ["Fixtures/gtfs/transitfeed/\(feed)"])
        }
        func places(_ r: RunReport) -> [String] {
            Self.findings(r).map { id, f in
                "\(id) \(f.rule) \((f.file as NSString).lastPathComponent):\(f.line):\(f.column) \(f.pointer)"
            }
        }
        let good = try await run("good_feed")
        #expect(good.conformant)
        #expect(Self.findings(good).isEmpty)
        #expect(
            places(try await run("bad_date_format")) == [
                "GTFS-TYPE-001 invalid_date calendar.txt:2:9 /start_date",
                "GTFS-TYPE-001 invalid_date calendar_dates.txt:2:2 /date",
            ])
        #expect(
            places(try await run("duplicate_stop_sequence")) == ["GTFS-KEY-001 duplicate_key stop_times.txt:4:5 /stop_sequence"])
        #expect(places(try await run("undefined_stop")) == ["GTFS-KEY-002 foreign_key_violation stop_times.txt:11:4 /stop_id"])
        let bom = try await run("utf8bom")
        #expect(places(bom) == ["GTFS-CSV-004 utf8_bom agency.txt:1:0 ", "GTFS-CSV-004 utf8_bom stops.txt:1:0 "])
        #expect(bom.conformant)
        let noCalendar = try await run("missing_calendar")
        #expect(places(noCalendar) == ["GTFS-FILE-002 missing_calendar_and_calendar_date_files missing_calendar:0:0 "])
        #expect(!noCalendar.conformant)
    }
}

/// A second, independent engine as the oracle for the GTFS verdicts: gtfs-analyzer (PyPI, Rust), run by
/// .ci/run in the oracle venv (CITYCERT_ORACLE_PYTHON), judges the same 48 fixture feeds. Per feed, its
/// verdict (a CRITICAL notice) and citycert's (a MUST requirement not passed) agree, or the feed is listed
/// with the reason in Fixtures/gtfs/oracle-disagreements.txt.
@Suite struct GTFSOracleTests {
    @Test(
        .enabled(
            if: SmartDataModelsOracleTests.required,
            "needs gtfs-analyzer: .ci/run installs it in a venv and sets CITYCERT_ORACLE_PYTHON (pip install gtfs-analyzer==0.16.0)"
        ))
    func verdictsAgreeWithGTFSAnalyzer() async throws {
        let feeds = GTFSProfileTests.feeds()
        let python = try #require(
            SmartDataModelsOracleTests.python, "CI must provide the oracle: .ci/run sets CITYCERT_ORACLE_PYTHON")
        let out = try await Subprocess.run(
            python,
            [Repository.root.appendingPathComponent(".ci/oracles/gtfs_second_opinion.py").path, Repository.root.path] + feeds,
            timeout: 300)
        #expect(out.status == 0, "\(out.stderr)")
        var theirs: [String: Bool] = [:]
        for line in out.stdout.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ").map(String.init)
            theirs[parts[0]] = parts[1] != "clean"
        }
        #expect(theirs.count == feeds.count, "\(out.stdout)")
        let listed = try String(contentsOf: Repository.fixture("gtfs/oracle-disagreements.txt"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { String($0.split(separator: " ")[0]) }
        var disagreeing: [String] = []
        for feed in feeds {
            let report = try await VerdictListing.run(profile: "gtfs/schedule/profile.yaml", paths: [feed])
            let ours = !report.conformant
            if ours != theirs[feed] {
                disagreeing.append(feed)
                #expect(
                    listed.contains(feed),
                    "\(feed): citycert \(ours ? "NOT CONFORMANT" : "CONFORMANT"), gtfs-analyzer \(theirs[feed] == true ? "critical" : "clean")"
                )
            }
        }
        for feed in listed where !disagreeing.contains(feed) {
            Issue.record("\(feed) is listed as a disagreement but both engines agree: remove it")
        }
    }
}

/// Hostile zips are refused with a clear error before anything is decompressed or written.
@Suite struct GTFSZipGuardTests {
    /// A zip built by hand: stored entries whose central directory may declare any uncompressed size
    /// (ZIP64 when it needs more than 32 bits).
    static func zip(_ entries: [(name: String, data: [UInt8], declared: UInt64?)]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: UInt64, _ a: inout [UInt8]) { for k in 0..<4 { a.append(UInt8(v >> (8 * UInt64(k)) & 0xFF)) } }
        func u64(_ v: UInt64, _ a: inout [UInt8]) { for k in 0..<8 { a.append(UInt8(v >> (8 * UInt64(k)) & 0xFF)) } }
        for e in entries {
            let name = Array(e.name.utf8)
            let offset = UInt64(out.count)
            var crc: UInt32 = 0xFFFF_FFFF
            for b in e.data {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            crc ^= 0xFFFF_FFFF
            let size = UInt64(e.data.count)
            let declared = e.declared ?? size
            let zip64 = declared > 0xFFFF_FFFE
            // Local header.
            u32(0x0403_4B50, &out); u16(zip64 ? 45 : 20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(UInt64(crc), &out); u32(size, &out); u32(zip64 ? 0xFFFF_FFFF : declared, &out); u16(name.count, &out)
            u16(zip64 ? 20 : 0, &out); out += name
            if zip64 { u16(1, &out); u16(16, &out); u64(declared, &out); u64(size, &out) }
            out += e.data
            // Central directory entry.
            u32(0x0201_4B50, &central); u16(zip64 ? 45 : 20, &central); u16(zip64 ? 45 : 20, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u16(0, &central); u32(UInt64(crc), &central); u32(size, &central)
            u32(zip64 ? 0xFFFF_FFFF : declared, &central); u16(name.count, &central); u16(zip64 ? 12 : 0, &central)
            u16(0, &central); u16(0, &central); u16(0, &central); u32(0o100644 << 16, &central); u32(offset, &central)
            central += name
            if zip64 { u16(1, &central); u16(8, &central); u64(declared, &central) }
        }
        let cdOffset = UInt64(out.count)
        out += central
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(UInt64(central.count), &out); u32(cdOffset, &out); u16(0, &out)
        return out
    }

    static let schema: GTFSSchema = {
        let doc = try! JSONValue.parse(bytes: Repository.read(Repository.profile("gtfs/schedule/gtfs-schema.json")))
        return try! GTFSSchema(json: doc)
    }()

    /// Writes the zip alone in a fresh folder, so a test can check that nothing else appears there.
    func write(_ bytes: [UInt8]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("citycert-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("feed.zip").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func folderContents(_ zip: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: (zip as NSString).deletingLastPathComponent).sorted()
    }

    @Test func aTenGigabyteEntryIsRefusedBeforeDecompression() throws {
        let agency = Array("agency_name,agency_url,agency_timezone\nA,http://a.example,Europe/Paris\n".utf8)
        let path = try write(Self.zip([("agency.txt", agency, nil), ("stop_times.txt", Array("x".utf8), 10 << 30)]))
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let result = GTFSValidator(schema: Self.schema).validate(feed: path)
        #expect(
            result.fatal?.contains("'stop_times.txt' declares 10737418240 uncompressed bytes") == true, "\(result.fatal ?? "-")")
        #expect(result.fatal?.contains("zip bomb guard") == true)
        #expect(result.notices.isEmpty)
        #expect(try folderContents(path) == ["feed.zip"], "nothing is extracted or written")
    }

    @Test func anEntryThatLeavesTheArchiveIsRefused() throws {
        let path = try write(Self.zip([("../../etc/agency.txt", Array("a\n".utf8), nil)]))
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let result = GTFSValidator(schema: Self.schema).validate(feed: path)
        #expect(result.fatal?.contains("entry '../../etc/agency.txt' leaves the archive (path traversal): refused") == true)
        #expect(!FileManager.default.fileExists(atPath: "/etc/agency.txt"))
        #expect(try folderContents(path) == ["feed.zip"], "nothing is extracted or written")
    }

    /// Offsets that point past the file are refused with a clear error before the zip library reads
    /// them (crafted values there would trap inside it).
    @Test(arguments: ["local header offset", "central directory offset"])
    func offsetsPastTheFileAreRefused(_ field: String) throws {
        var bytes = Self.zip([("agency.txt", Array("agency_name\nA\n".utf8), nil)])
        let eocd = bytes.count - 22
        let cdOffset =
            Int(bytes[eocd + 16]) | Int(bytes[eocd + 17]) << 8 | Int(bytes[eocd + 18]) << 16 | Int(bytes[eocd + 19]) << 24
        let at = field == "local header offset" ? cdOffset + 42 : eocd + 16
        for k in 0..<4 { bytes[at + k] = [0xF0, 0xFF, 0xFF, 0x7F][k] }
        let path = try write(bytes)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let result = GTFSValidator(schema: Self.schema).validate(feed: path)
        #expect(result.fatal?.contains("not a well-formed zip archive") == true, "\(result.fatal ?? "-")")
        #expect(result.fatal?.contains("past the end of the file") == true)
    }

    @Test func duplicateEntryNamesAreRefused() throws {
        let path = try write(Self.zip([("agency.txt", Array("a\n".utf8), nil), ("agency.txt", Array("b\n".utf8), nil)]))
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let result = GTFSValidator(schema: Self.schema).validate(feed: path)
        #expect(result.fatal?.contains("the entry 'agency.txt' appears twice") == true)
    }

    @Test func aHighlyCompressedEntryIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("citycert-ratio-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: path) }
        let archive = try Archive(url: path, accessMode: .create, pathEncoding: nil)
        let size: Int64 = 20 << 20
        try archive.addEntry(with: "stop_times.txt", type: .file, uncompressedSize: size, compressionMethod: .deflate) { _, n in
            Data(count: n)
        }
        let result = GTFSValidator(schema: Self.schema).validate(feed: path.path)
        #expect(result.fatal?.contains("over the 200:1 limit") == true, "\(result.fatal ?? "-")")
    }

    @Test func theRunnerReportsARefusedFeedAsAnError() async throws {
        let path = try write(Self.zip([("../x.txt", Array("a\n".utf8), nil)]))
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var options = RunOptions()
        options.paths = [path]
        let profile = try ProfileLoader().load(path: Repository.profile("gtfs/schedule/profile.yaml").path)
        let report = try await Runner(profile: profile, transport: nil, options: options).run()
        #expect(report.requirements.allSatisfy { $0.outcome == .error })
        #expect(report.requirements[0].reason?.contains("path traversal") == true)
    }

    /// A header cell with surrounding spaces (` agency_name`, as two city agencies publish it) names the
    /// trimmed column: gtfs-validator's CSV parser trims it, and no consumer reads the column as missing.
    /// It is a `leading_or_trailing_whitespaces` warning at the cell, never `missing_required_column`.
    @Test func headerCellsAreTrimmedWithAWarning() async throws {
        let dir = NSTemporaryDirectory() + "citycert-header-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Repository.fixture("gtfs/google-sample-feed-1").path, toPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let agency = dir + "/agency.txt"
        let text = try String(contentsOfFile: agency, encoding: .utf8)
        try text.replacingOccurrences(of: "agency_id,agency_name,", with: "agency_id, agency_name ,").write(
            toFile: agency, atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.paths = [dir]
        let profile = try ProfileLoader().load(path: Repository.profile("gtfs/schedule/profile.yaml").path)
        let report = try await Runner(profile: profile, transport: nil, options: options).run()
        let found = GTFSProfileTests.findings(report)
        #expect(!found.contains { $0.1.rule == "missing_required_column" }, "\(found.map(\.1.message))")
        let warning = found.first { $0.1.rule == "leading_or_trailing_whitespaces" }
        #expect(
            warning?.1.line == 1 && warning?.1.column == 2 && warning?.1.pointer == "/agency_name",
            "\(String(describing: warning))")
        #expect(report.conformant, "\(found.map(\.1.message))")
    }
}
