import CityCertJSON
import CityCertRegex

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A schema resource: a schema object with an absolute base URI, as the dynamic scope sees it.
final class SchemaResource: @unchecked Sendable {
    let uri: String
    /// `$dynamicAnchor` names defined in this resource.
    var dynamicAnchors: [String: Location] = [:]
    /// `$recursiveAnchor: true` at the resource root (2019-09).
    var recursiveAnchor = false
    /// The resource's root schema location.
    let root: Location
    /// Compiled nodes for the anchors above and the root, filled in after linking.
    var dynamicAnchorNodes: [String: SchemaNode] = [:]
    var rootNode: SchemaNode?

    init(uri: String, root: Location) {
        self.uri = uri
        self.root = root
    }
}

/// A place in one of the registry's documents.
struct Location: Hashable, Sendable {
    let document: Int
    let pointer: JSONPointer
}

/// A resolved reference, filled in after the target is compiled (references may be cyclic).
final class RefTarget: @unchecked Sendable {
    var node: SchemaNode?
    let uri: String
    init(uri: String) { self.uri = uri }
}

/// One compiled schema object (or boolean schema).
final class SchemaNode: @unchecked Sendable {
    /// Set for boolean schemas (`true` / `false`).
    var constant: Bool?
    var keywords: [Keyword] = []
    let resource: SchemaResource
    /// `uri#pointer` of this schema, for absolute keyword locations.
    let absoluteLocation: String
    let draft: SchemaDraft

    init(resource: SchemaResource, absoluteLocation: String, draft: SchemaDraft) {
        self.resource = resource
        self.absoluteLocation = absoluteLocation
        self.draft = draft
    }
}

/// The JSON types a `type` keyword allows, as bits (the names are kept for messages).
struct TypeSet: Sendable {
    let names: [String]
    let bits: UInt8

    static let bitOfName: [String: UInt8] = [
        "null": 1, "boolean": 2, "object": 4, "array": 8, "number": 16, "string": 32, "integer": 64,
    ]

    init(_ names: [String]) {
        self.names = names
        bits = names.reduce(0) { $0 | (Self.bitOfName[$1] ?? 0) }
    }
}

/// A schema's numeric limit, exact and as a double for the fast comparison.
struct NumericBound: Sendable {
    let decimal: JSONDecimal
    let double: Double
    init(_ d: JSONDecimal) {
        decimal = d
        double = d.doubleValue
    }
}

/// A compiled keyword. The registry of keywords and their semantics live in `KeywordCompiler` and
/// `Validator`; each case here holds exactly what validation needs.
indirect enum Keyword: @unchecked Sendable {
    case type(TypeSet)
    case enumeration([JSONValue])
    case constant(JSONValue)
    case multipleOf(JSONDecimal)
    case maximum(NumericBound, exclusive: Bool, name: String)
    case minimum(NumericBound, exclusive: Bool, name: String)
    case maxLength(Int)
    case minLength(Int)
    case pattern(BoundedRegex)
    case format(String, FormatChecker?)
    case maxItems(Int)
    case minItems(Int)
    case uniqueItems
    case prefixItems([SchemaNode], name: String)
    /// Applies `schema` to every item from `start` on (2020 `items`, 2019 schema-form `items`, `additionalItems`).
    case itemsFrom(Int, SchemaNode, name: String)
    case contains(SchemaNode, min: Int, max: Int?, countsAsEvaluated: Bool)
    case maxProperties(Int)
    case minProperties(Int)
    /// Names with their `JSONObject.signature(_:)`, computed once.
    case required([(String, UInt32)])
    case properties([(String, UInt32, SchemaNode)], NameTable)
    case patternProperties([(BoundedRegex, SchemaNode)])
    case additionalProperties(SchemaNode, names: NameTable, patterns: [BoundedRegex])
    case dependentRequired([(String, [String])], name: String)
    case dependentSchemas([(String, SchemaNode)], name: String)
    case propertyNames(SchemaNode)
    case ifThenElse(SchemaNode, then: SchemaNode?, else: SchemaNode?)
    case allOf([SchemaNode])
    case anyOf([SchemaNode])
    case oneOf([SchemaNode])
    case not(SchemaNode)
    case ref(RefTarget)
    case dynamicRef(RefTarget, anchor: String?)
    case recursiveRef(RefTarget)
    case unevaluatedItems(SchemaNode)
    case unevaluatedProperties(SchemaNode)

    var name: String {
        switch self {
        case .type: return "type"
        case .enumeration: return "enum"
        case .constant: return "const"
        case .multipleOf: return "multipleOf"
        case .maximum(_, _, let n), .minimum(_, _, let n): return n
        case .maxLength: return "maxLength"
        case .minLength: return "minLength"
        case .pattern: return "pattern"
        case .format: return "format"
        case .maxItems: return "maxItems"
        case .minItems: return "minItems"
        case .uniqueItems: return "uniqueItems"
        case .prefixItems(_, let n), .itemsFrom(_, _, let n): return n
        case .contains: return "contains"
        case .maxProperties: return "maxProperties"
        case .minProperties: return "minProperties"
        case .required: return "required"
        case .properties: return "properties"
        case .patternProperties: return "patternProperties"
        case .additionalProperties: return "additionalProperties"
        case .dependentRequired(_, let n), .dependentSchemas(_, let n): return n
        case .propertyNames: return "propertyNames"
        case .ifThenElse: return "if"
        case .allOf: return "allOf"
        case .anyOf: return "anyOf"
        case .oneOf: return "oneOf"
        case .not: return "not"
        case .ref: return "$ref"
        case .dynamicRef: return "$dynamicRef"
        case .recursiveRef: return "$recursiveRef"
        case .unevaluatedItems: return "unevaluatedItems"
        case .unevaluatedProperties: return "unevaluatedProperties"
        }
    }

    /// Keywords that read annotations of their siblings run last.
    var runsLast: Bool {
        switch self {
        case .unevaluatedItems, .unevaluatedProperties: return true
        default: return false
        }
    }
}

/// Member names looked up by their UTF-8 bytes (code points, as JSON compares names), in an
/// open-addressing table keyed by each name's signature: for `properties` and `additionalProperties`,
/// whose lookups run once per instance member.
final class NameTable: Sendable {
    let names: [String]
    /// The names' UTF-8 bytes, one after another.
    let bytes: [UInt8]
    /// One slot per power-of-two position: the name's index + 1 (0: empty), its signature, and where
    /// its bytes are.
    struct Slot {
        var index: Int32 = 0
        var signature: UInt32 = 0
        var start: Int32 = 0
        var length: Int32 = 0
    }
    let slots: [Slot]
    let mask: Int

    init(_ names: [String]) {
        self.names = names
        var bytes: [UInt8] = []
        var size = 8
        while size < names.count * 2 { size *= 2 }
        var slots = [Slot](repeating: Slot(), count: size)
        for (k, n) in names.enumerated() {
            let signature = JSONObject.signature(n)
            var s = Self.slot(signature, size - 1)
            while slots[s].index != 0 { s = (s + 1) & (size - 1) }
            slots[s] = Slot(index: Int32(k + 1), signature: signature, start: Int32(bytes.count), length: Int32(n.utf8.count))
            bytes += Array(n.utf8)
        }
        self.bytes = bytes
        self.slots = slots
        mask = size - 1
    }

    @inline(__always) private static func slot(_ signature: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (signature &* 0x9E37_79B1) >> 16) & mask
    }

    /// The index in `names` of the name with exactly these bytes, or nil.
    func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        slots.withUnsafeBufferPointer { slots in
            bytes.withUnsafeBufferPointer { bytes in
                Self.lookup(key, slots: slots.baseAddress.unsafelyUnwrapped, mask: mask, bytes: bytes.baseAddress)
            }
        }
    }

    /// The lookup on a table's parts in place (the tape program keeps every table's slots and bytes in
    /// two arrays of its own): `slots` has `mask + 1` entries, whose `start`s are offsets in `bytes`.
    @inline(__always) static func lookup(
        _ key: UnsafeBufferPointer<UInt8>, slots: UnsafePointer<Slot>, mask: Int, bytes: UnsafePointer<UInt8>?
    ) -> Int? {
        let count = key.count
        let signature = JSONObject.signature(key)
        var s = slot(signature, mask)
        while true {
            let slot = slots[s]
            if slot.index == 0 { return nil }
            // The signature keeps the length modulo 2^16 only: the real lengths must agree too.
            if slot.signature == signature && Int(slot.length) == count {
                if count <= 2 || same(bytes.unsafelyUnwrapped + Int(slot.start), key.baseAddress.unsafelyUnwrapped, count) {
                    return Int(slot.index) - 1
                }
            }
            s = (s + 1) & mask
        }
    }

    /// Whether `n` bytes at `a` and `b` are the same (names are short: a word at a time, then bytes).
    @inline(__always) static func same(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var k = 0
        while k + 8 <= n {
            if ra.loadUnaligned(fromByteOffset: k, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: k, as: UInt64.self) {
                return false
            }
            k += 8
        }
        while k < n {
            if a[k] != b[k] { return false }
            k += 1
        }
        return true
    }

    func index(of key: String) -> Int? {
        var key = key
        return key.withUTF8 { index(of: $0) }
    }

    func contains(_ key: String) -> Bool { index(of: key) != nil }
}
