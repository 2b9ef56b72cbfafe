public import CityCertCore
import CityCertJSON

/// The JSON report, format `citycert-report/1` (schema: Sources/CityCertReports/report.schema.json).
public enum JSONReport {
    public static let formatVersion = "citycert-report/1"

    public static func render(_ report: RunReport) -> [UInt8] {
        var bytes = JSONSerializer.bytes(value(report), style: .pretty)
        bytes.append(0x0A)
        return bytes
    }

    static func value(_ r: RunReport) -> JSONValue {
        var levels: [(String, JSONValue)] = []
        for level in Level.allCases {
            levels.append((level.rawValue, counts(r.requirements.filter { $0.level == level })))
        }
        return .object([
            ("format", .string(formatVersion)),
            ("tool", .object([("name", .string("citycert")), ("version", .string(r.toolVersion))])),
            (
                "profile",
                .object([
                    ("id", .string(r.profile.id)), ("title", .string(r.profile.title)), ("version", .string(r.profile.version)),
                    ("sha256", .string(r.profile.sha256)),
                    (
                        "standard",
                        .object([
                            ("name", .string(r.profile.standardName)), ("version", .string(r.profile.standardVersion)),
                            ("url", r.profile.standardURL.map(JSONValue.string) ?? .null),
                        ])
                    ),
                ])
            ),
            ("target", .object(r.target.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("started", .string(Timestamp.iso(r.started))),
            ("finished", .string(Timestamp.iso(r.finished))),
            ("insecure", .bool(r.insecure)),
            ("readOnly", .bool(r.readOnly)),
            ("verdict", .string(r.conformant ? "CONFORMANT" : "NOT CONFORMANT")),
            ("partial", .bool(r.partial)),
            ("failOn", .string(r.failOn.rawValue)),
            ("interrupted", r.interrupted.map(JSONValue.string) ?? .null),
            (
                "notRun",
                .array(
                    r.notRun.map {
                        .object([("id", .string($0.id)), ("level", .string($0.level.rawValue)), ("reason", .string($0.reason))])
                    })
            ),
            ("coverage", r.coverage.map(coverage) ?? .null),
            ("fingerprint", r.fingerprint.map(fingerprint) ?? .null),
            (
                "waivers",
                .array(r.waivers.map(waiverUse))
            ),
            ("classes", .array(r.classes.map { conformanceClass($0, r) })),
            ("summary", .object([("total", counts(r.requirements)), ("byLevel", .object(levels))])),
            ("requirements", .array(r.requirements.map(requirement))),
            ("leftovers", .array(r.leftovers.map(JSONValue.string))),
        ])
    }

    /// A conformance class with its verdict, whether the target declares it, and its requirements' counts.
    static func conformanceClass(_ c: ClassInfo, _ r: RunReport) -> JSONValue {
        let members = Set(c.requirements)
        return .object([
            ("id", .string(c.id)), ("uri", c.uri.map(JSONValue.string) ?? .null), ("title", .string(c.title)),
            ("verdict", .string(r.verdict(of: c).rawValue)), ("partial", .bool(r.isPartial(c))),
            ("applies", .string(c.applies.name)), ("appliesReason", c.applies.reason.map(JSONValue.string) ?? .null),
            ("requirements", .array(c.requirements.map(JSONValue.string))),
            ("summary", counts(r.requirements.filter { members.contains($0.id) })),
        ])
    }

    static func waiver(_ w: Waiver) -> JSONValue { .object(waiverMembers(w)) }

    /// A waiver of the run with what became of it.
    static func waiverUse(_ u: WaiverUse) -> JSONValue {
        let use: [(String, JSONValue)] = [
            ("status", .string(u.status.rawValue)), ("requirements", .array(u.requirements.map(JSONValue.string))),
        ]
        return .object(waiverMembers(u.waiver) + use)
    }

    static func waiverMembers(_ w: Waiver) -> [(String, JSONValue)] {
        [
            ("requirement", .string(w.requirement)), ("target", w.target.map(JSONValue.string) ?? .null),
            ("reason", .string(w.reason)), ("approvedBy", .string(w.approvedBy)), ("expires", .string(w.expires)),
            ("link", w.link.map(JSONValue.string) ?? .null), ("place", .string(w.place)),
        ]
    }

    /// The fingerprint with its digest last (the digest is over the other members, in JCS form).
    static func fingerprint(_ f: Fingerprint) -> JSONValue {
        .object(f.members + [("digest", .string(f.digest))])
    }

    static func coverage(_ c: DataCoverage) -> JSONValue {
        .object([
            ("documents", .int(c.documents)), ("uncovered", .int(c.uncovered)), ("notJudged", .int(c.notJudged)),
            ("failsVerdict", .bool(c.failsVerdict)),
            ("unreportedNotices", .object(c.unreportedNotices.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            (
                "first",
                .array(
                    c.first.map {
                        .object([
                            ("file", .string($0.file)), ("line", .int($0.line)), ("column", .int($0.column)),
                            ("reason", .string($0.reason)),
                        ])
                    })
            ),
        ])
    }

    static func counts(_ rs: [RequirementResult]) -> JSONValue {
        .object(Outcome.allCases.map { o in (o.rawValue, .int(rs.filter { $0.outcome == o }.count)) })
    }

    static func ms(_ seconds: Double) -> JSONValue { .number(JSONNumber(lexeme: String(Int((seconds * 1000).rounded())))) }

    static func requirement(_ q: RequirementResult) -> JSONValue {
        .object([
            ("id", .string(q.id)), ("title", .string(q.title)), ("level", .string(q.level.rawValue)),
            ("clause", .string(q.clause)),
            ("url", q.url.map(JSONValue.string) ?? .null), ("quote", q.quote.map(JSONValue.string) ?? .null),
            ("tags", .array(q.tags.map(JSONValue.string))), ("classes", .array(q.classes.map(JSONValue.string))),
            ("outcome", .string(q.outcome.rawValue)),
            ("reason", q.reason.map(JSONValue.string) ?? .null), ("notRunByOption", .bool(q.excludedByOption)),
            ("waiver", q.waiver.map(waiver) ?? .null),
            ("durationMs", ms(q.duration)),
            ("checks", .array(q.checks.map(check))),
        ])
    }

    static func check(_ c: CheckResult) -> JSONValue {
        .object([
            ("name", .string(c.name)), ("outcome", .string(c.outcome.rawValue)),
            ("message", c.message.map(JSONValue.string) ?? .null),
            ("evidence", .array(c.evidence.map(evidence))),
        ])
    }

    static func headers(_ h: [(name: String, value: String)]) -> JSONValue {
        .array(h.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })
    }

    static func evidence(_ e: Evidence) -> JSONValue {
        switch e {
        case .note(let text): return .object([("kind", .string("note")), ("text", .string(text))])
        case .finding(let f):
            return .object([
                ("kind", .string("finding")), ("file", .string(f.file)), ("line", .int(f.line)), ("column", .int(f.column)),
                ("pointer", .string(f.pointer)), ("message", .string(f.message)), ("rule", .string(f.rule)),
            ])
        case .exchange(let x):
            var timings: JSONValue = .null
            if let t = x.timings {
                timings = .object([
                    ("dnsMs", ms(t.dns)), ("connectMs", ms(t.connect)), ("tlsMs", ms(t.tls)), ("firstByteMs", ms(t.firstByte)),
                    ("totalMs", ms(t.total)),
                ])
            }
            return .object([
                ("kind", .string("exchange")), ("step", .string(x.step)),
                (
                    "request",
                    .object([
                        ("method", .string(x.method)), ("url", .string(x.url)), ("headers", headers(x.requestHeaders)),
                        ("bodyExcerpt", x.requestBodyExcerpt.map(JSONValue.string) ?? .null),
                    ])
                ),
                (
                    "response",
                    x.status == nil
                        ? .null
                        : .object([
                            ("status", .int(x.status!)), ("httpVersion", x.httpVersion.map(JSONValue.string) ?? .null),
                            ("headers", headers(x.responseHeaders)),
                            ("bodyExcerpt", x.responseBodyExcerpt.map(JSONValue.string) ?? .null),
                        ])
                ),
                ("timings", timings), ("attempts", .int(x.attempts)), ("problems", .array(x.problems.map(JSONValue.string))),
            ])
        }
    }
}
