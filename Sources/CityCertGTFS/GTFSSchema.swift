public import CityCertJSON

/// The GTFS tables citycert knows: files, fields, types, keys (Profiles/gtfs/schedule/gtfs-schema.json).
public struct GTFSSchema: Sendable {
    public struct Field: Sendable {
        public let name: String
        public let type: String
        public let kind: String?
        public let required: Bool
        public let primaryKey: Bool
        public let nonNegative: Bool
        public let positive: Bool
        public let nonZero: Bool
        /// "file#field" targets.
        public let foreignKeys: [(file: String, field: String)]
        public let endRange: (field: String, allowEqual: Bool)?
    }
    public struct Table: Sendable {
        public let file: String
        public let required: Bool
        public let conditionallyRequired: Bool
        public let fields: [Field]
        public func field(_ name: String) -> Field? { fields.first { $0.name == name } }
        public var primaryKey: [String] { fields.filter(\.primaryKey).map(\.name) }
    }
    public let tables: [String: Table]
    public let enums: [String: Set<Int>]

    public struct SchemaError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(json: JSONValue) throws(SchemaError) {
        guard case .object(let files)? = json["files"] else { throw SchemaError(description: "no \"files\" object") }
        var tables: [String: Table] = [:]
        for (file, t) in files.uniqueEntries {
            var fields: [Field] = []
            for f in t["fields"]?.arrayValue ?? [] {
                guard let name = f["name"]?.stringValue, let type = f["type"]?.stringValue else {
                    throw SchemaError(description: "\(file): a field without name or type")
                }
                let fks = (f["foreignKeys"]?.arrayValue ?? []).compactMap(\.stringValue).compactMap { s -> (String, String)? in
                    let parts = s.split(separator: "#")
                    return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
                }
                var end: (String, Bool)?
                if let e = f["endRange"], let ef = e["field"]?.stringValue { end = (ef, e["allowEqual"]?.boolValue ?? false) }
                fields.append(
                    Field(
                        name: name, type: type, kind: f["kind"]?.stringValue, required: f["required"]?.boolValue ?? false,
                        primaryKey: f["primaryKey"]?.boolValue ?? false, nonNegative: f["nonNegative"]?.boolValue ?? false,
                        positive: f["positive"]?.boolValue ?? false, nonZero: f["nonZero"]?.boolValue ?? false, foreignKeys: fks,
                        endRange: end))
            }
            tables[file] = Table(
                file: file, required: t["required"]?.boolValue ?? false,
                conditionallyRequired: t["conditionallyRequired"]?.boolValue ?? false, fields: fields)
        }
        var enums: [String: Set<Int>] = [:]
        for (name, values) in json["enums"]?.objectValue?.uniqueEntries ?? [] {
            enums[name] = Set((values.arrayValue ?? []).compactMap { $0.numberValue?.int64.map(Int.init) })
        }
        self.tables = tables
        self.enums = enums
    }
}
