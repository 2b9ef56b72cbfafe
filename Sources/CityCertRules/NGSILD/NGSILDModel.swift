import CityCertJSON
import CityCertJSONSchema

/// Shared knowledge of NGSI-LD entities (ETSI GS CIM 009).
enum NGSILD {
    /// Entity-level members that are not attributes.
    static let entityMembers: Set<String> = [
        "id", "type", "@context", "scope", "createdAt", "modifiedAt", "deletedAt", "expiresAt",
    ]
    /// Members of an attribute that are not sub-attributes.
    static let attributeMembers: Set<String> = [
        "type", "value", "object", "languageMap", "json", "vocab", "valueList", "objectList", "observedAt", "unitCode",
        "datasetId", "createdAt", "modifiedAt", "deletedAt", "instanceId", "valueType", "objectType", "previousValue",
        "previousObject", "previousLanguageMap", "previousJson", "previousVocab", "previousValueList", "previousObjectList",
        "entity", "entityList", "expiresAt", "@context",
    ]
    static let temporalMembers: Set<String> = ["observedAt", "createdAt", "modifiedAt", "deletedAt", "expiresAt"]

    /// An absolute URI, as `id`, `object` and `datasetId` must be. Judged as an IRI (RFC 3987): NGSI-LD
    /// payloads are JSON-LD, whose identifiers are IRIs, and ETSI's own test suite sends
    /// `urn:ngsi-ld:Ciudad:París` as a valid Relationship object.
    static func isURI(_ s: String) -> Bool { Formats.check(s, format: "iri") ?? false }

    /// DateTime of clause 4.6.3: `YYYY-MM-DDThh:mm:ss[.ffffff]Z`, UTC only, one to six fraction
    /// digits (a comma is also accepted as the separator), and a real calendar date and time.
    static func isDateTime(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func digits(_ from: Int, _ n: Int) -> Int? {
            guard from + n <= b.count else { return nil }
            var v = 0
            for i in from..<(from + n) {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 20, let y = digits(0, 4), b[4] == 0x2D, let mo = digits(5, 2), b[7] == 0x2D, let d = digits(8, 2),
            b[10] == 0x54, let h = digits(11, 2), b[13] == 0x3A, let mi = digits(14, 2), b[16] == 0x3A, let sec = digits(17, 2)
        else { return false }
        var i = 19
        if b[i] == 0x2E || b[i] == 0x2C {
            let start = i + 1
            i = start
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            guard i - start >= 1 && i - start <= 6 else { return false }
        }
        guard i == b.count - 1, b[i] == 0x5A else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains(mo) && d >= 1 && d <= days[mo - 1] && h < 24 && mi < 60 && sec <= 60
    }

    /// Every attribute instance of an entity, and (recursively) every sub-attribute, with its pointer.
    /// Only objects whose `type` is an NGSI-LD attribute type are visited (normalized form).
    static func attributes(_ root: JSONValue, _ body: (_ name: String, _ attr: JSONObject, _ pointer: JSONPointer) -> Void) {
        guard case .object(let entity) = root else { return }
        func visit(_ name: String, _ value: JSONValue, _ pointer: JSONPointer, depth: Int) {
            guard depth < 32 else { return }
            var instances: [(JSONValue, JSONPointer)] = [(value, pointer)]
            if case .array(let a) = value, a.contains(where: { $0.objectValue != nil }) {
                instances = a.enumerated().map { ($0.element, pointer.appending($0.offset)) }
            }
            for (v, p) in instances {
                guard case .object(let attr) = v, let t = attr["type"]?.stringValue, EntityShape.ldAttributeTypes.contains(t)
                else { continue }
                body(name, attr, p)
                for (k, sub) in attr.uniqueEntries where !attributeMembers.contains(k) {
                    visit(k, sub, p.appending(k), depth: depth + 1)
                }
            }
        }
        for (k, v) in entity.uniqueEntries where !entityMembers.contains(k) {
            visit(k, v, JSONPointer.root.appending(k), depth: 0)
        }
    }
}
