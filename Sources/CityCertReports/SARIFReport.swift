public import CityCertCore
import CityCertJSON

/// SARIF 2.1.0 output (OASIS), so code-scanning UIs show data findings inline: one rule per
/// requirement, one result per finding (file, line:col, JSON pointer) or per failed exchange.
public enum SARIFReport {
    public static let version = "2.1.0"
    public static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

    public static func render(_ report: RunReport) -> [UInt8] {
        var bytes = JSONSerializer.bytes(value(report), style: .pretty)
        bytes.append(0x0A)
        return bytes
    }

    static func level(_ q: RequirementResult) -> String {
        switch q.level {
        case .must: return "error"
        case .should: return "warning"
        case .may: return "note"
        }
    }

    static func value(_ r: RunReport) -> JSONValue {
        let rules: [JSONValue] = r.requirements.map { q in
            var rule: [(String, JSONValue)] = [
                ("id", .string(q.id)),
                ("shortDescription", .object([("text", .string(q.title))])),
                ("fullDescription", .object([("text", .string(q.quote.map { "\(q.clause): \($0)" } ?? q.clause))])),
                ("defaultConfiguration", .object([("level", .string(level(q)))])),
                (
                    "properties",
                    .object([
                        ("level", .string(q.level.rawValue)), ("clause", .string(q.clause)),
                        ("tags", .array(q.tags.map(JSONValue.string))),
                    ])
                ),
            ]
            if let url = q.url { rule.append(("helpUri", .string(url))) }
            return .object(rule)
        }
        var results: [JSONValue] = []
        for (index, q) in r.requirements.enumerated() where q.outcome == .failed || q.outcome == .error || q.outcome == .waived {
            for c in q.checks where c.outcome == .failed || c.outcome == .error {
                var located = false
                for e in c.evidence {
                    switch e {
                    case .finding(let f):
                        located = true
                        results.append(
                            result(
                                q, index, c.outcome, "\(f.message) [\(f.rule)]",
                                locations: [
                                    .object([
                                        (
                                            "physicalLocation",
                                            .object([
                                                ("artifactLocation", .object([("uri", .string(f.file))])),
                                                (
                                                    "region",
                                                    .object([("startLine", .int(f.line)), ("startColumn", .int(f.column))])
                                                ),
                                            ])
                                        ),
                                        (
                                            "logicalLocations",
                                            .array([
                                                .object([
                                                    ("fullyQualifiedName", .string(f.pointer.isEmpty ? "/" : f.pointer)),
                                                    ("kind", .string("element")),
                                                ])
                                            ])
                                        ),
                                    ])
                                ]))
                    case .exchange(let x) where !x.problems.isEmpty:
                        located = true
                        results.append(
                            result(
                                q, index, c.outcome, "\(x.method) \(x.url): " + x.problems.joined(separator: "; "),
                                locations: [
                                    .object([
                                        (
                                            "logicalLocations",
                                            .array([
                                                .object([
                                                    ("fullyQualifiedName", .string("\(x.method) \(x.url)")),
                                                    ("kind", .string("resource")),
                                                ])
                                            ])
                                        )
                                    ])
                                ]))
                    default: break
                    }
                }
                if !located { results.append(result(q, index, c.outcome, c.message ?? c.outcome.rawValue, locations: [])) }
            }
        }
        let run: JSONValue = .object([
            (
                "tool",
                .object([
                    (
                        "driver",
                        .object([
                            ("name", .string("citycert")), ("version", .string(r.toolVersion)),
                            ("informationUri", .string(r.profile.standardURL ?? "https://citycert.invalid/")),
                            ("rules", .array(rules)),
                        ])
                    )
                ])
            ),
            (
                "automationDetails",
                .object([
                    ("id", .string("\(r.profile.id)/\(r.profile.version)/")),
                    ("description", .object([("text", .string(r.profile.title))])),
                ])
            ),
            ("results", .array(results)),
            (
                "properties",
                .object(
                    [
                        ("verdict", .string(r.conformant ? "CONFORMANT" : "NOT CONFORMANT")),
                        ("profileSha256", .string(r.profile.sha256)),
                        ("insecure", .bool(r.insecure)),
                        ("partial", .bool(r.partial)),
                        ("interrupted", r.interrupted.map(JSONValue.string) ?? .null),
                        ("notRun", .array(r.notRun.map { .object([("id", .string($0.id)), ("reason", .string($0.reason))]) })),
                        ("coverage", r.coverage.map(JSONReport.coverage) ?? .null),
                        ("fingerprint", r.fingerprint.map(JSONReport.fingerprint) ?? .null),
                    ] + (r.classes.isEmpty ? [] : [("classes", .array(r.classes.map { JSONReport.conformanceClass($0, r) }))]))
            ),
        ])
        return .object([("$schema", .string(schemaURI)), ("version", .string(version)), ("runs", .array([run]))])
    }

    static func result(_ q: RequirementResult, _ ruleIndex: Int, _ outcome: Outcome, _ message: String, locations: [JSONValue])
        -> JSONValue
    {
        var fields: [(String, JSONValue)] = [
            ("ruleId", .string(q.id)), ("ruleIndex", .int(ruleIndex)),
            // A check that could not decide is reported for review, not as a failure of the target.
            ("kind", .string(outcome == .error ? "review" : "fail")),
            ("level", .string(outcome == .error ? "none" : level(q))),
            ("message", .object([("text", .string(message))])),
        ]
        if !locations.isEmpty { fields.append(("locations", .array(locations))) }
        // A waived failure is a result with an accepted external suppression (SARIF 2.1.0 §3.35): viewers
        // show it as suppressed, with the justification.
        if let w = q.waiver {
            fields.append(
                (
                    "suppressions",
                    .array([
                        .object([
                            ("kind", .string("external")), ("status", .string("accepted")),
                            ("justification", .string(ConsoleReport.waiverLine(w))),
                        ])
                    ])
                ))
        }
        return .object(fields)
    }
}
