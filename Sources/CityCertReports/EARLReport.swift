public import CityCertCore
import CityCertJSON

/// EARL 1.0 (W3C Evaluation and Report Language, www.w3.org/TR/EARL10-Schema/) as JSON-LD: citycert is
/// the `earl:Assertor`, the target the `earl:TestSubject`, each requirement an `earl:TestRequirement`
/// and one `earl:Assertion` per requirement with its `earl:TestResult`.
///
/// A requirement's test is identified by `urn:citycert:requirement:<profile>:<version>:<id>`, not by the
/// clause's URL: two requirements often judge one clause (different cases of it), and their assertions
/// must stay apart; the clause's URL is the test's `dct:source`, its text `dct:description`.
/// Outcomes: passed → `earl:passed`, failed → `earl:failed` (a failure below `--fail-on` too: EARL has no
/// warning), error → `earl:cantTell`, not-applicable → `earl:inapplicable`, skipped → `earl:untested`.
public enum EARLReport {
    public static func render(_ r: RunReport) -> [UInt8] {
        var bytes = JSONSerializer.bytes(value(r), style: .pretty)
        bytes.append(0x0A)
        return bytes
    }

    static let context: JSONValue = .object([
        ("earl", .string("http://www.w3.org/ns/earl#")),
        ("dct", .string("http://purl.org/dc/terms/")),
        ("doap", .string("http://usefulinc.com/ns/doap#")),
        ("xsd", .string("http://www.w3.org/2001/XMLSchema#")),
    ])

    static func outcome(_ o: Outcome) -> String {
        switch o {
        case .passed: "earl:passed"
        case .failed: "earl:failed"
        case .error: "earl:cantTell"
        case .notApplicable: "earl:inapplicable"
        case .skipped: "earl:untested"
        // It failed: a waiver is a certification decision about the failure, not a different result.
        case .waived: "earl:failed"
        }
    }

    /// A URN segment: characters outside RFC 8141's unreserved set percent-encoded (UTF-8).
    static func segment(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(UnicodeScalar(b))
            if b < 0x80 && (c.isLetter || c.isNumber || "-._~".contains(c)) {
                out.append(c)
            } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    /// The subject: the target's `base_url` when it is an http(s) URL; for data, a URN over the data
    /// files' digests (the same data, the same subject); else a URN over the target's description.
    static func subject(_ r: RunReport) -> String {
        if let base = r.target["base_url"], base.hasPrefix("http://") || base.hasPrefix("https://"),
            !base.contains(where: { $0 == " " || $0 == "\"" || $0 == "<" || $0 == ">" })
        {
            return base
        }
        if let f = r.fingerprint, !f.files(.data).isEmpty {
            let listing = f.files(.data).map { "\($0.path) \($0.sha256 ?? "-")" }.joined(separator: "\n")
            return "urn:citycert:data:sha256:" + SHA256.hex(Array(listing.utf8))
        }
        let described = r.target.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        return "urn:citycert:target:sha256:" + SHA256.hex(Array(described.utf8))
    }

    static func value(_ r: RunReport) -> JSONValue {
        let assertor = "urn:citycert:tool:citycert:" + segment(r.toolVersion)
        let subjectID = subject(r)
        let profile = "urn:citycert:profile:\(segment(r.profile.id)):\(segment(r.profile.version))"
        let date = Timestamp.iso(r.finished)
        var graph: [JSONValue] = [
            .object([
                ("@id", .string(assertor)), ("@type", .array([.string("earl:Assertor"), .string("earl:Software")])),
                ("dct:title", .string("citycert")), ("dct:hasVersion", .string(r.toolVersion)),
            ]),
            .object([
                ("@id", .string(subjectID)), ("@type", .string("earl:TestSubject")),
                (
                    "dct:description",
                    .string(r.target.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: "; "))
                ),
            ]),
            .object([
                ("@id", .string(profile)), ("@type", .string("earl:TestRequirement")),
                ("dct:title", .string(r.profile.title)), ("dct:hasVersion", .string(r.profile.version)),
                ("dct:description", .string("\(r.profile.standardName) \(r.profile.standardVersion)")),
            ]),
        ]
        for q in r.requirements {
            let test = "\(profile):\(segment(q.id))"
            var testMembers: [(String, JSONValue)] = [
                ("@id", .string(test)), ("@type", .string("earl:TestRequirement")),
                ("dct:identifier", .string(q.id)), ("dct:title", .string(q.title)),
                ("dct:description", .string(q.clause)), ("dct:type", .string(q.level.rawValue)),
                ("dct:isPartOf", .object([("@id", .string(profile))])),
            ]
            if let url = q.url, url.hasPrefix("http") { testMembers.append(("dct:source", .object([("@id", .string(url))]))) }
            var description = q.waiver.map { ConsoleReport.waiverLine($0) + "\n" } ?? ""
            description += q.reason ?? ""
            if q.reason == nil {
                description = ConsoleReport.rawDetails(q, limit: 3).map { $0.trimmingPrefixSpaces() }.joined(separator: "\n")
            }
            var result: [(String, JSONValue)] = [
                ("@type", .string("earl:TestResult")), ("earl:outcome", .object([("@id", .string(outcome(q.outcome)))])),
                ("dct:date", .object([("@value", .string(date)), ("@type", .string("xsd:dateTime"))])),
            ]
            if !description.isEmpty { result.append(("dct:description", .string(description))) }
            graph.append(.object(testMembers))
            graph.append(
                .object([
                    ("@type", .string("earl:Assertion")),
                    ("earl:assertedBy", .object([("@id", .string(assertor))])),
                    ("earl:subject", .object([("@id", .string(subjectID))])),
                    ("earl:test", .object([("@id", .string(test))])),
                    ("earl:mode", .object([("@id", .string("earl:automatic"))])),
                    ("earl:result", .object(result)),
                ]))
        }
        return .object([("@context", context), ("@graph", .array(graph))])
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
