import CityCertJSON
import CityCertJSONPath
import CityCertJSONSchema
import CityCertProfile
import CityCertRegex
import CityCertRules
import Foundation

/// Judges JSONPath assertions. Returns the problems found, each with the pointer it concerns.
/// An assertion that cannot be decided: its path passed the step limit, a regular expression did not
/// finish, or the number it compares against is missing or not a number.
struct AssertionUndecided: Error, CustomStringConvertible {
    let description: String
}

enum AssertionEvaluator {
    struct Problem {
        let pointer: JSONPointer
        let message: String
    }

    /// Throws when no verdict can be given (a limit, or a bound that is not a number).
    static func evaluate(_ a: Assertion, on root: JSONValue, variables: Variables?, stepLimit: Int?) throws(AssertionUndecided)
        -> [Problem]
    {
        let nodes: [JSONPathNode]
        do { nodes = try a.path.select(root, stepLimit: stepLimit) } catch { throw AssertionUndecided(description: "\(error)") }
        /// The number a comparison is made against.
        func resolve(_ b: Bound) throws(AssertionUndecided) -> JSONDecimal {
            switch b {
            case .number(let d): return d
            case .variable(let name):
                guard let v = variables?.json(name) else {
                    throw AssertionUndecided(description: "{{\(name)}} has no value")
                }
                if case .number(let n) = v { return n.decimal }
                // A number captured as text ("12", from a header) is a number.
                if case .string(let s) = v, let n = try? JSONValue.parse(s), case .number(let d) = n { return d.decimal }
                throw AssertionUndecided(description: "{{\(name)}} is \(show(v)), not a number")
            case .path(let p):
                let found: [JSONValue]
                do { found = try p.values(root, stepLimit: stepLimit) } catch {
                    throw AssertionUndecided(description: "\(error)")
                }
                guard found.count == 1, case .number(let n) = found[0] else {
                    throw AssertionUndecided(
                        description:
                            "\(p.text) selects \(found.count == 1 ? show(found[0]) : "\(found.count) values"), not one number")
                }
                return n.decimal
            }
        }
        func each(_ test: (JSONValue) -> String?) -> [Problem] {
            if nodes.isEmpty { return [Problem(pointer: .root, message: "\(a.path.text) selects nothing (expected \(a.text))")] }
            return nodes.compactMap { n in test(n.value).map { Problem(pointer: n.location.pointer, message: $0) } }
        }
        func show(_ v: JSONValue) -> String {
            // Redacted before it is shortened, so a secret is never cut in half.
            let s = variables?.redact(JSONSerializer.string(v)) ?? JSONSerializer.string(v)
            return s.count > 120 ? String(s.prefix(117)) + "…" : s
        }
        switch a.predicate {
        case .exists(let expected):
            if expected && nodes.isEmpty {
                return [Problem(pointer: .root, message: "\(a.path.text) selects nothing, expected it to exist")]
            }
            if !expected, let first = nodes.first {
                return [
                    Problem(
                        pointer: first.location.pointer,
                        message: "\(a.path.text) exists (\(show(first.value))), expected it to be absent")
                ]
            }
            return []
        case .equals(let expectedRaw):
            let expected = variables?.renderExpected(expectedRaw) ?? expectedRaw
            return each { $0 == expected ? nil : "\(show($0)) is not equal to \(show(expected))" }
        case .notEquals(let raw):
            // Like every predicate but exists/count, a path that selects nothing fails (FORMAT.md).
            let v = variables?.renderExpected(raw) ?? raw
            return each { $0 == v ? "\(show($0)) must not equal \(show(v))" : nil }
        case .oneOf(let raw):
            let options = raw.map { variables?.renderExpected($0) ?? $0 }
            return each { v in options.contains(v) ? nil : "\(show(v)) is not one of \(show(.array(options)))" }
        case .matches(let regex):
            // A match that does not finish gives no verdict: the assertion is an error, as in a path.
            var unfinished = false
            let problems = each { v in
                if unfinished { return nil }  // the first match that does not finish decides
                guard case .string(let s) = v else { return "\(show(v)) is not a string, cannot match '\(regex.source)'" }
                switch regex.firstMatch(in: s) {
                case .matched: return nil
                case .notMatched: return "\(show(v)) does not match '\(regex.source)'"
                case .timedOut:
                    unfinished = true
                    return nil
                }
            }
            if unfinished {
                throw AssertionUndecided(
                    description: "\(JSONPathLimitError(query: a.path.text, steps: 0, timedOutPattern: regex.source))")
            }
            return problems
        case .type(let t):
            return each { v in
                let ok: Bool
                switch (t, v) {
                case ("integer", .number(let n)): ok = n.isInteger
                default: ok = v.typeName == t
                }
                return ok ? nil : "\(show(v)) is \(v.typeName), expected \(t)"
            }
        case .count(let b):
            let n = try resolve(b)
            guard n.exponent >= 0, !n.negative else {
                throw AssertionUndecided(description: "count \(b.text) is \(n.text), not a whole number of 0 or more")
            }
            let from = b.isLiteral ? "" : " (\(b.text))"
            return JSONNumber(nodes.count).decimal == n
                ? []
                : [Problem(pointer: .root, message: "\(a.path.text) selects \(nodes.count) node(s), expected \(n.text)\(from)")]
        case .lessThan(let b):
            let d = try resolve(b)
            return compare(nodes, a) { $0 < d ? nil : "\($0.text) is not < \(d.text)\(b.isLiteral ? "" : " (\(b.text))")" }
        case .lessOrEqual(let b):
            let d = try resolve(b)
            return compare(nodes, a) { $0 <= d ? nil : "\($0.text) is not <= \(d.text)\(b.isLiteral ? "" : " (\(b.text))")" }
        case .greaterThan(let b):
            let d = try resolve(b)
            return compare(nodes, a) { $0 > d ? nil : "\($0.text) is not > \(d.text)\(b.isLiteral ? "" : " (\(b.text))")" }
        case .greaterOrEqual(let b):
            let d = try resolve(b)
            return compare(nodes, a) { $0 >= d ? nil : "\($0.text) is not >= \(d.text)\(b.isLiteral ? "" : " (\(b.text))")" }
        case .contains(let raw):
            let needle = variables?.renderExpected(raw) ?? raw
            return each { v in
                switch (v, needle) {
                case (.array(let arr), _): return arr.contains(needle) ? nil : "\(show(v)) does not contain \(show(needle))"
                case (.string(let s), .string(let n)): return s.contains(n) ? nil : "\(show(v)) does not contain \(show(needle))"
                case (.object(let o), .string(let k)): return o[k] != nil ? nil : "object has no member \(show(needle))"
                default: return "\(show(v)) cannot contain \(show(needle))"
                }
            }
        case .format(let f):
            return each { v in
                guard case .string(let s) = v else { return "\(show(v)) is not a string, expected a \(f)" }
                return Formats.check(s, format: f) == false ? "\(show(v)) is not a valid \(f)" : nil
            }
        case .near(let raw, let tolerance):
            let expected = variables?.renderExpected(raw) ?? raw
            // In decimal arithmetic, so that a value exactly at the tolerance is within it.
            let targetText: String?
            switch expected {
            case .number(let n): targetText = n.decimal.text
            case .string(let s): targetText = s
            default: targetText = nil
            }
            guard let t = targetText, let target = Decimal(string: t, locale: Locale(identifier: "en_US_POSIX")),
                !target.isNaN, let limit = Decimal(string: "\(tolerance)", locale: Locale(identifier: "en_US_POSIX"))
            else {
                throw AssertionUndecided(description: "near: \(show(raw)) is \(show(expected)), not a number")
            }
            return compare(nodes, a) { d in
                guard let x = Decimal(string: d.text, locale: Locale(identifier: "en_US_POSIX")),
                    (x - target).magnitude <= limit
                else { return "\(d.text) is not within \(tolerance) of \(t)" }
                return nil
            }
        case .includes(let raw):
            let expected = variables?.renderExpected(raw) ?? raw
            if nodes.contains(where: { $0.value == expected }) { return [] }
            return [
                Problem(
                    pointer: .root,
                    message: "none of the \(nodes.count) node(s) \(a.path.text) selects equals \(show(expected))")
            ]
        case .intersectsBBox(let raw):
            let rendered = variables?.renderExpected(raw) ?? raw
            let box: GeoBox
            switch GeoBox.parse(rendered) {
            case .success(let b): box = b
            case .failure(let e): throw AssertionUndecided(description: "intersects_bbox \(show(rendered)): \(e)")
            }
            return each { v in
                switch box.intersects(v) {
                case .success(true): return nil
                case .success(false): return "\(show(v)) does not intersect the box \(show(rendered))"
                case .failure(let e): return "\(show(v)) cannot intersect the box: \(e)"
                }
            }
        case .allOf, .anyOf, .not: return try compose(a, on: root, variables: variables, stepLimit: stepLimit)
        }
    }

    /// `all_of`, `any_of`, `not`, in three values: a part that fails for certain decides `all_of` over a part
    /// that could not be judged, a part that holds decides `any_of`; otherwise an undecided part leaves
    /// the whole undecided (an `error`, never a verdict on the target).
    static func compose(_ a: Assertion, on root: JSONValue, variables: Variables?, stepLimit: Int?) throws(AssertionUndecided)
        -> [Problem]
    {
        var problems: [Problem] = []
        var undecided: AssertionUndecided?
        var reasons: [String] = []
        for part in a.predicate.parts {
            do {
                let found = try evaluate(part, on: root, variables: variables, stepLimit: stepLimit)
                if case .anyOf = a.predicate, found.isEmpty { return [] }
                problems += found
                if !found.isEmpty { reasons.append(found.map(\.message).joined(separator: "; ")) }
            } catch {
                undecided = undecided ?? AssertionUndecided(description: "\(part.text): \(error.description)")
            }
        }
        switch a.predicate {
        case .allOf:
            if !problems.isEmpty { return problems }
            if let undecided { throw undecided }
            return []
        case .anyOf:
            if let undecided { throw undecided }
            return [
                Problem(
                    pointer: problems.first?.pointer ?? .root,
                    message: "none of the \(a.predicate.parts.count) alternatives holds: \(reasons.joined(separator: " | "))")
            ]
        default:  // not
            if let undecided { throw undecided }
            guard problems.isEmpty, let inner = a.predicate.parts.first else { return [] }
            return [Problem(pointer: .root, message: "\(inner.text) holds, expected it not to")]
        }
    }

    static func compare(_ nodes: [JSONPathNode], _ a: Assertion, _ test: (JSONDecimal) -> String?) -> [Problem] {
        if nodes.isEmpty { return [Problem(pointer: .root, message: "\(a.path.text) selects nothing (expected \(a.text))")] }
        return nodes.compactMap { n in
            guard case .number(let num) = n.value else {
                return Problem(pointer: n.location.pointer, message: "\(JSONSerializer.string(n.value)) is not a number")
            }
            return test(num.decimal).map { Problem(pointer: n.location.pointer, message: $0) }
        }
    }
}
