/// The JSON Schema dialects citycert validates.
public enum SchemaDraft: String, Sendable, CaseIterable, Comparable {
    case draft4 = "draft-04"
    case draft6 = "draft-06"
    case draft7 = "draft-07"
    case draft2019 = "2019-09"
    case draft2020 = "2020-12"

    private var order: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: SchemaDraft, b: SchemaDraft) -> Bool { a.order < b.order }

    /// The draft a `$schema` URI names, or nil for an unknown meta-schema.
    public init?(metaSchemaURI uri: String) {
        var u = uri
        if u.hasSuffix("#") { u.removeLast() }
        switch u {
        case "http://json-schema.org/draft-04/schema", "https://json-schema.org/draft-04/schema": self = .draft4
        case "http://json-schema.org/draft-06/schema", "https://json-schema.org/draft-06/schema": self = .draft6
        case "http://json-schema.org/draft-07/schema", "https://json-schema.org/draft-07/schema": self = .draft7
        case "https://json-schema.org/draft/2019-09/schema", "http://json-schema.org/draft/2019-09/schema": self = .draft2019
        case "https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft/2020-12/schema": self = .draft2020
        default: return nil
        }
    }

    /// Accepts `4`, `draft-04`, `draft4`, `7`, `2019-09`, `2020-12`.
    public init?(name: String) {
        switch name.lowercased() {
        case "4", "draft4", "draft-04", "draft-4": self = .draft4
        case "6", "draft6", "draft-06", "draft-6": self = .draft6
        case "7", "draft7", "draft-07", "draft-7": self = .draft7
        case "2019-09", "draft2019-09", "draft-2019-09": self = .draft2019
        case "2020-12", "draft2020-12", "draft-2020-12": self = .draft2020
        default: return nil
        }
    }

    var idKeyword: String { self == .draft4 ? "id" : "$id" }
    /// In drafts up to 7, `$ref` makes its sibling keywords ignored.
    var refOverridesSiblings: Bool { self <= .draft7 }

    static let vocabularyPrefix2020 = "https://json-schema.org/draft/2020-12/vocab/"
    static let vocabularyPrefix2019 = "https://json-schema.org/draft/2019-09/vocab/"
}
