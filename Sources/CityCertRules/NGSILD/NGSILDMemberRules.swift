import CityCertJSON

/// observedAt, createdAt, modifiedAt, deletedAt and expiresAt are DateTimes in UTC (clause 4.6.3).
struct NGSILDDateTime: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "ngsi-ld/datetime",
        summary:
            "temporal members (observedAt, createdAt, modifiedAt, deletedAt, expiresAt) and DateTime values are YYYY-MM-DDThh:mm:ss[.ffffff]Z strings: UTC, every component present, at most six fraction digits",
        reference: "ETSI GS CIM 009 §4.6.3, §4.8", make: { _ in NGSILDDateTime() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        func judge(_ v: JSONValue, _ at: JSONPointer, _ what: String) {
            guard case .string(let s) = v else {
                report(at, "\(what) is a DateTime string; found \(v.typeName)")
                return
            }
            if !NGSILD.isDateTime(s) { report(at, "\(what) '\(s)' is not an NGSI-LD DateTime (YYYY-MM-DDThh:mm:ssZ, UTC)") }
        }
        if case .object(let e) = root {
            for m in NGSILD.temporalMembers { if let v = e[m] { judge(v, JSONPointer.root.appending(m), m) } }
        }
        NGSILD.attributes(root) { _, attr, p in
            for m in NGSILD.temporalMembers { if let v = attr[m] { judge(v, p.appending(m), m) } }
            if case .object(let value)? = attr["value"], value["@type"]?.stringValue == "DateTime", let v = value["@value"] {
                judge(v, p.appending("value").appending("@value"), "a DateTime value")
            }
        }
    }
}

/// datasetId is a URI.
struct NGSILDDatasetID: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "ngsi-ld/dataset-id",
        summary: "an attribute's \"datasetId\" is a URI", reference: "ETSI GS CIM 009 §4.5.2.2, §4.5.5, Table 5.2.5-1",
        make: { _ in NGSILDDatasetID() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        NGSILD.attributes(root) { _, attr, p in
            guard let d = attr["datasetId"] else { return }
            if case .string(let s) = d, NGSILD.isURI(s) { return }
            report(p.appending("datasetId"), "a datasetId is a URI; found \(d.stringValue.map { "'\($0)'" } ?? d.typeName)")
        }
    }
}

/// unitCode has the form of a UN/CEFACT Common Code (Recommendation 20): two or three upper-case
/// letters or digits.
struct NGSILDUnitCode: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "ngsi-ld/unit-code",
        summary:
            "a \"unitCode\" is a UN/CEFACT common code: a string of two or three upper-case letters or digits (e.g. C62, MTR, KMH)",
        reference: "ETSI GS CIM 009 §4.5.2.2; UN/CEFACT Recommendation 20", make: { _ in NGSILDUnitCode() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        NGSILD.attributes(root) { _, attr, p in
            guard let u = attr["unitCode"] else { return }
            if case .string(let s) = u, (2...3).contains(s.utf8.count),
                s.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) })
            {
                return
            }
            report(p.appending("unitCode"), "'\(u.stringValue ?? u.typeName)' does not have the form of a UN/CEFACT common code")
        }
    }
}

/// Core-context terms that are not attributes are not used as attribute names.
struct NGSILDReservedNames: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "ngsi-ld/reserved-names",
        summary:
            "no attribute is named after a non-reified core term (datasetId, instanceId, observedAt, unitCode, valueType, objectType) or a structural member (value, object, languageMap, json, vocab, valueList, objectList), and no name starts with \"@\" other than @context",
        reference: "ETSI GS CIM 009 §4.5.1, §4.8 (NOTE 2), §4.6.2", make: { _ in NGSILDReservedNames() })

    static let reserved: Set<String> = [
        "datasetId", "instanceId", "observedAt", "unitCode", "valueType", "objectType", "value", "object", "languageMap",
        "json", "vocab", "valueList", "objectList",
    ]

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        guard case .object(let e) = root else { return }
        for k in e.keys where !NGSILD.entityMembers.contains(k) {
            if Self.reserved.contains(k) {
                report(JSONPointer.root.appending(k), "'\(k)' is a core term, not an attribute name")
            } else if k.hasPrefix("@") {
                report(JSONPointer.root.appending(k), "'\(k)' is a JSON-LD keyword, not an attribute name")
            }
        }
    }
}

/// application/json payloads carry no @context (it goes in a Link header); application/ld+json
/// payloads carry it in the body; attributes never embed one. The media type of a file is read from
/// its extension: `.jsonld` is application/ld+json, anything else application/json.
struct NGSILDContextPlacement: DataRule {
    static let descriptor = RuleDescriptor(
        id: "ngsi-ld/context-placement",
        summary:
            "an application/ld+json payload (.jsonld file) has @context in its body; an application/json payload (.json file) has none; no attribute embeds an @context",
        reference: "ETSI GS CIM 009 §6.3.5, §4.5.1", make: { _ in NGSILDContextPlacement() })

    func makeSession() -> any RuleSession { Session() }

    final class Session: RuleSession {
        func visit(_ document: RuleDocument, report: (RuleFinding) -> Void) {
            guard case .object(let e) = document.root else { return }
            let ld = document.file.lowercased().hasSuffix(".jsonld")
            if ld && e["@context"] == nil {
                report(
                    RuleFinding(
                        pointer: .root, message: "an application/ld+json payload (.jsonld) carries its @context in the body"))
            }
            if !ld && e["@context"] != nil {
                report(
                    RuleFinding(
                        pointer: JSONPointer.root.appending("@context"),
                        message: "an application/json payload carries no @context in the body (it goes in a Link header)"))
            }
            NGSILD.attributes(document.root) { _, attr, p in
                if attr["@context"] != nil {
                    report(RuleFinding(pointer: p.appending("@context"), message: "an attribute embeds an @context"))
                }
            }
        }
        func finish(report: (RuleFinding) -> Void) {}
    }
}
