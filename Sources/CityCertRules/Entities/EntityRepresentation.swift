public import CityCertJSON

/// The shapes in which NGSI entities (and Smart Data Models payloads) are exchanged.
public enum EntityRepresentation: String, Sendable, CaseIterable {
    /// NGSI-v2 keyValues / plain JSON: attribute values directly under their names.
    case keyValues
    /// NGSI-LD simplified (keyValues) with an `@context` member (JSON-LD).
    case ldKeyValues = "ld-keyValues"
    /// NGSI-LD normalized: attributes are `{type: Property|Relationship|GeoProperty|…, value|object…}`.
    case ldNormalized = "ld-normalized"
    /// NGSI-v2 normalized: attributes are `{type, value, metadata}`.
    case v2Normalized = "v2-normalized"
    /// A GeoJSON Feature or FeatureCollection (NGSI-LD `application/geo+json`).
    case geoJSON = "geojson"

    public static let names = allCases.map(\.rawValue)
}

/// Detection of an entity's model and representation, and its projection to keyValues.
public enum EntityShape {
    /// Members that are not attributes.
    static let nonAttributes: Set<String> = ["id", "type", "@context", "@id", "@type"]

    /// NGSI-LD attribute types (ETSI GS CIM 009 §4.5 and the core @context).
    public static let ldAttributeTypes: Set<String> = [
        "Property", "Relationship", "GeoProperty", "LanguageProperty", "VocabProperty", "JsonProperty",
        "ListProperty", "ListRelationship",
    ]

    /// The representation of an entity, judged from its shape:
    /// - a `Feature`/`FeatureCollection` is GeoJSON;
    /// - an attribute typed as an NGSI-LD attribute type makes it NGSI-LD normalized;
    /// - otherwise, when every attribute is an object and one has `value`, NGSI-v2 normalized;
    /// - otherwise keyValues, JSON-LD when it carries `@context`.
    public static func detect(_ root: JSONValue) -> EntityRepresentation {
        guard case .object(let o) = root else { return .keyValues }
        if let t = o["type"]?.stringValue, t == "Feature" || t == "FeatureCollection" { return .geoJSON }
        var attributes = 0
        var allObjects = true
        var anyValue = false
        for (k, v) in o.uniqueEntries where !nonAttributes.contains(k) {
            attributes += 1
            let instances: [JSONValue]
            if case .array(let a) = v, !a.isEmpty, a.allSatisfy({ $0.objectValue != nil }) {
                instances = a
            } else {
                instances = [v]
            }
            for i in instances {
                guard case .object(let attr) = i else {
                    allObjects = false
                    continue
                }
                if let t = attr["type"]?.stringValue, ldAttributeTypes.contains(t) { return .ldNormalized }
                if attr["value"] != nil { anyValue = true }
            }
        }
        if attributes > 0, allObjects, anyValue, o["@context"] == nil { return .v2Normalized }
        return o["@context"] != nil ? .ldKeyValues : .keyValues
    }

    /// The model an entity claims: its `type`, or the last segment of a type IRI
    /// (`https://smartdatamodels.org/dataModel.Environment/AirQualityObserved` → `AirQualityObserved`).
    public static func model(_ root: JSONValue) -> String? {
        guard case .string(var t)? = root["type"] else { return nil }
        // A GeoJSON Feature (NGSI-LD application/geo+json) carries the entity type in its properties.
        if t == "Feature" {
            guard case .string(let inner)? = root["properties"]?["type"] else { return nil }
            t = inner
        }
        if t.contains("://") || t.hasPrefix("urn:"), let cut = t.lastIndex(where: { $0 == "/" || $0 == "#" || $0 == ":" }) {
            return String(t[t.index(after: cut)...])
        }
        return t
    }

    /// The keyValues form of an entity, and for each projected attribute the pointer of its value
    /// in the original (so findings on the projection point into the file).
    public struct Projection: Sendable {
        public let value: JSONValue
        let sources: [String: JSONPointer]

        /// The pointer in the original document for a pointer into the projection.
        public func source(of pointer: JSONPointer) -> JSONPointer {
            guard let first = pointer.tokens.first, let base = sources[first] else { return pointer }
            var p = base
            for t in pointer.tokens.dropFirst() { p = p.appending(t) }
            return p
        }
    }

    /// Projects an entity to keyValues: `@context` dropped; NGSI-LD attributes reduced to their
    /// value (`value`, `object`, `languageMap`, `json`, `vocab`, `valueList`, `objectList`, the
    /// default instance of a multi-attribute); NGSI-v2 attributes to their `value`; JSON-LD value
    /// objects `{"@type", "@value"}` to the `@value`. Sub-attributes and metadata are dropped.
    public static func projectKeyValues(_ root: JSONValue, as representation: EntityRepresentation? = nil) -> Projection {
        guard case .object(let o) = root else { return Projection(value: root, sources: [:]) }
        let rep = representation ?? detect(root)
        if rep == .geoJSON { return projectFeature(o) }
        var out: [(String, JSONValue)] = []
        var sources: [String: JSONPointer] = [:]
        for (k, v) in o.uniqueEntries where k != "@context" {
            let base = JSONPointer.root.appending(k)
            if nonAttributes.contains(k) {
                out.append((k, v))
                continue
            }
            switch rep {
            case .ldNormalized:
                let (value, pointer) = ldValue(v, base)
                out.append((k, value))
                sources[k] = pointer
            case .v2Normalized:
                if case .object(let a) = v, let value = a["value"] {
                    out.append((k, unwrap(value)))
                    sources[k] = base.appending("value")
                } else {
                    out.append((k, v))
                }
            default:
                out.append((k, unwrap(v)))
            }
        }
        return Projection(value: .object(JSONObject(out)), sources: sources)
    }

    /// A GeoJSON Feature (NGSI-LD application/geo+json, CIM 009 §4.5.17): the entity is the Feature's
    /// `id` plus its `properties` (which hold every attribute, the geometry property included),
    /// projected as their own representation; findings point under /properties.
    static func projectFeature(_ feature: JSONObject) -> Projection {
        guard case .object(var props)? = feature["properties"] else { return Projection(value: .object(feature), sources: [:]) }
        if let id = feature["id"], props["id"] == nil {
            props = JSONObject([("id", id)] + props.entries.map { ($0.key, $0.value) })
        }
        let inner = projectKeyValues(.object(props))
        var sources: [String: JSONPointer] = [:]
        if case .object(let projected) = inner.value {
            for k in projected.keys {
                let src = inner.source(of: JSONPointer.root.appending(k))
                sources[k] =
                    k == "id" && feature["id"] != nil
                    ? JSONPointer.root.appending("id") : JSONPointer(tokens: ["properties"] + src.tokens)
            }
        }
        return Projection(value: inner.value, sources: sources)
    }

    static let ldValueMembers = ["value", "object", "languageMap", "json", "vocab", "valueList", "objectList"]

    static func ldValue(_ v: JSONValue, _ base: JSONPointer) -> (JSONValue, JSONPointer) {
        var attr = v
        var pointer = base
        if case .array(let instances) = v, !instances.isEmpty {
            // A multi-attribute: the default instance is the one without datasetId.
            let index = instances.firstIndex { $0["datasetId"] == nil } ?? 0
            attr = instances[index]
            pointer = base.appending(index)
        }
        guard case .object(let a) = attr else { return (v, base) }
        for m in ldValueMembers {
            if let value = a[m] { return (unwrap(value), pointer.appending(m)) }
        }
        return (attr, pointer)
    }

    /// `{"@type": "DateTime", "@value": "…"}` → `"…"`.
    static func unwrap(_ v: JSONValue) -> JSONValue {
        if case .object(let o) = v, let value = o["@value"], o.count <= 2, o.count == 1 || o["@type"] != nil { return value }
        return v
    }
}
