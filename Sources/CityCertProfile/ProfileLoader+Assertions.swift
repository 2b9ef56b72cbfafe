import CityCertJSON
import CityCertJSONPath

// JSONPath assertions: a path and one predicate, or all_of / any_of / not over assertions.
extension Builder {
    /// The path a composition carries (its parts select their own nodes).
    static let rootPath = try! JSONPath("$")

    static let predicateKeys = [
        "exists", "equals", "not_equals", "one_of", "matches", "type", "count", "lt", "le", "gt", "ge", "contains", "format",
        "intersects_bbox", "includes", "near",
    ]

    static let compositionKeys = ["all_of", "any_of", "not"]

    func assertion(_ node: YNode) throws -> Assertion {
        let m = try node.mapping("an assertion", allowed: ["path"] + Self.predicateKeys + Self.compositionKeys)
        if let (key, _, value) = m.entries.first(where: { Self.compositionKeys.contains($0.0) }) {
            guard m.entries.count == 1 else {
                throw node.error(
                    "\(key) stands alone: its assertions carry their own paths and predicates",
                    hint: "move path and predicate into the assertions under \(key)")
            }
            try needs11(node, key)
            let predicate: Predicate
            let shown: String
            if key == "not" {
                let inner = try assertion(value)
                predicate = .not(inner)
                shown = "not (\(inner.text))"
            } else {
                let parts = try value.sequence(key).map { try assertion($0) }
                guard parts.count >= 2 else {
                    throw value.error(
                        "\(key) needs at least two assertions", hint: "a single assertion is written on its own")
                }
                predicate = key == "all_of" ? .allOf(parts) : .anyOf(parts)
                shown = "\(key) (\(parts.map(\.text).joined(separator: "; ")))"
            }
            return Assertion(path: Self.rootPath, predicate: predicate, text: shown, mark: node.mark)
        }
        let pathNode = try m.required("path")
        let path = try jsonPath(pathNode)
        let predicateEntries = m.entries.filter { $0.0 != "path" }
        guard predicateEntries.count == 1, let (key, _, value) = predicateEntries.first else {
            throw node.error(
                "an assertion needs exactly one predicate",
                hint: "one of: \(Self.predicateKeys.joined(separator: ", ")); or all_of, any_of, not over assertions")
        }
        let predicate: Predicate
        /// A number, a template alone (`"{{n}}"`, a captured or input value) or `{path: <JSONPath>}` on the same
        /// document.
        func bound(integer: Bool = false) throws -> Bound {
            if let m = try? value.mapping("\(key)", allowed: ["path"]), let p = m["path"] {
                try needs11(value, "\(key) with {path: …}")
                return .path(try jsonPath(p))
            }
            switch try value.json() {
            case .number(let n):
                if integer && (!n.isInteger || n.decimal < JSONNumber(0).decimal) {
                    throw value.error("\(key) needs a whole number of 0 or more")
                }
                return .number(n.decimal)
            case .string(let s):
                guard let name = Template.standaloneVariable(in: s) else {
                    throw value.error(
                        "\(key) needs a number, a variable alone (\"{{name}}\") or {path: <JSONPath>}",
                        hint: "text around a variable would make a string, not a number")
                }
                try needs11(value, "\(key) with a variable")
                try checkTemplates(in: .string(s), at: value)
                return .variable(name)
            default:
                throw value.error("\(key) needs a number, a variable alone (\"{{name}}\") or {path: <JSONPath>}")
            }
        }
        switch key {
        case "exists": predicate = .exists(try value.bool("exists"))
        case "equals":
            let v = try value.json()
            try checkTemplates(in: v, at: value)
            predicate = .equals(v)
        case "not_equals":
            let v = try value.json()
            try checkTemplates(in: v, at: value)
            predicate = .notEquals(v)
        case "one_of":
            guard case .array(let a) = try value.json() else { throw value.error("one_of needs a list") }
            try checkTemplates(in: .array(a), at: value)
            predicate = .oneOf(a)
        case "matches": predicate = .matches(try compileRegex(value))
        case "type":
            let t = try value.string("type")
            let types = ["null", "boolean", "number", "integer", "string", "array", "object"]
            guard types.contains(t) else {
                throw value.error("unknown type '\(t)'", hint: didYouMean(t, types).map { "did you mean '\($0)'?" })
            }
            predicate = .type(t)
        case "count": predicate = .count(try bound(integer: true))
        case "lt": predicate = .lessThan(try bound())
        case "le": predicate = .lessOrEqual(try bound())
        case "gt": predicate = .greaterThan(try bound())
        case "ge": predicate = .greaterOrEqual(try bound())
        case "contains":
            let v = try value.json()
            try checkTemplates(in: v, at: value)
            predicate = .contains(v)
        case "format":
            let f = try value.string("format")
            let formats = ["date-time", "date", "time", "uri", "uri-reference", "uuid", "email", "hostname", "ipv4", "ipv6"]
            guard formats.contains(f) else {
                throw value.error("unsupported format '\(f)'", hint: didYouMean(f, formats).map { "did you mean '\($0)'?" })
            }
            predicate = .format(f)
        case "near":
            try needs11(value, "near")
            let nm = try value.mapping("near", allowed: ["value", "tolerance"])
            let v = try nm.required("value").json()
            switch v {
            case .number: break
            case .string(let s):
                guard Template.standaloneVariable(in: s) != nil else {
                    throw nm["value"]!.error("near.value needs a number or a variable alone (\"{{name}}\")")
                }
                try checkTemplates(in: v, at: nm["value"]!)
            default: throw nm["value"]!.error("near.value needs a number or a variable alone (\"{{name}}\")")
            }
            let tNode = try nm.required("tolerance")
            guard case .number(let t) = try tNode.json(), let tolerance = Double(t.decimal.text), tolerance >= 0,
                tolerance.isFinite
            else { throw tNode.error("near.tolerance needs a number of 0 or more") }
            predicate = .near(v, tolerance: tolerance)
        case "includes":
            try needs11(value, "includes")
            let v = try value.json()
            try checkTemplates(in: v, at: value)
            predicate = .includes(v)
        case "intersects_bbox":
            try needs11(value, "intersects_bbox")
            let v = try value.json()
            switch v {
            case .string, .array: break
            default:
                throw value.error(
                    "intersects_bbox needs a box: \"minx,miny,maxx,maxy\" (templates allowed) or a list of 4 or 6 numbers")
            }
            try checkTemplates(in: v, at: value)
            predicate = .intersectsBBox(v)
        default: throw node.error("unknown predicate '\(key)'")
        }
        let rendered: String
        if let s = value.scalar {
            rendered = s
        } else {
            rendered = (try? JSONSerializer.string(value.json())) ?? "…"
        }
        return Assertion(path: path, predicate: predicate, text: "\(path.text) \(key) \(rendered)", mark: node.mark)
    }
}
