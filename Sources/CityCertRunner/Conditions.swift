import CityCertJSON
import CityCertProfile
import CityCertRegex

/// What an `applies_if` condition says about the run's variables.
enum ConditionValue: Equatable {
    /// Holds or not, with the sentence that says why.
    case decided(Bool, String)
    /// A variable it reads has no value (it was never captured), or a pattern did not finish.
    case undecided(String)
}

extension Variables {
    /// Evaluates a condition on the variables' values; a captured JSON value keeps its type.
    func evaluate(_ c: Condition) -> ConditionValue {
        switch c {
        case .variable(let name, let test, _):
            guard let value = json(name) else { return .undecided("\(name) has no value") }
            return Self.test(test, value, name: name, render: { self.render($0) })
        case .not(let inner):
            switch evaluate(inner) {
            case .decided(let b, let why): return .decided(!b, "not (\(why))")
            case .undecided(let why): return .undecided(why)
            }
        case .any(let items):
            var reasons: [String] = []
            var undecided: String?
            for item in items {
                switch evaluate(item) {
                case .decided(true, let why): return .decided(true, why)
                case .decided(false, let why): reasons.append(why)
                case .undecided(let why): undecided = undecided ?? why
                }
            }
            if let undecided { return .undecided(undecided) }
            return .decided(false, reasons.joined(separator: ", and "))
        case .all(let items):
            var reasons: [String] = []
            var undecided: String?
            for item in items {
                switch evaluate(item) {
                case .decided(false, let why): return .decided(false, why)
                case .decided(true, let why): reasons.append(why)
                case .undecided(let why): undecided = undecided ?? why
                }
            }
            if let undecided { return .undecided(undecided) }
            return .decided(true, reasons.joined(separator: ", and "))
        }
    }

    static func test(_ test: Condition.Test, _ value: JSONValue, name: String, render: (Template) -> String)
        -> ConditionValue
    {
        switch test {
        case .contains(let t):
            let wanted = render(t)
            switch value {
            case .array(let items):
                let found = items.contains { text(of: $0) == wanted }
                return .decided(found, "\(name) \(found ? "has" : "has no") item equal to \"\(wanted)\"")
            case .object(let o):
                let found = o[wanted] != nil
                return .decided(found, "\(name) \(found ? "has" : "has no") member \"\(wanted)\"")
            default:
                let found = text(of: value).contains(wanted)
                return .decided(found, "\(name) \(found ? "contains" : "does not contain") \"\(wanted)\"")
            }
        case .equals(let t):
            let wanted = render(t)
            let equal = text(of: value) == wanted
            return .decided(equal, "\(name) \(equal ? "is" : "is not") \"\(wanted)\"")
        case .matches(let regex):
            // Strings as they are, numbers and booleans as their JSON text (a captured version 2 matches ^2).
            func scalar(_ v: JSONValue) -> String? {
                switch v {
                case .array, .object, .null: return nil
                default: return text(of: v)
                }
            }
            let subjects: [String]
            switch value {
            case .array(let items): subjects = items.compactMap(scalar)
            default: subjects = scalar(value).map { [$0] } ?? []
            }
            for s in subjects {
                switch regex.firstMatch(in: s) {
                case .matched: return .decided(true, "\(name) has a value matching /\(regex.source)/")
                case .timedOut: return .undecided("matching /\(regex.source)/ against \(name) did not finish")
                case .notMatched: continue
                }
            }
            return .decided(false, "\(name) has no value matching /\(regex.source)/")
        }
    }

    /// A value as text: a string as it is, anything else as its JSON.
    static func text(of value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return JSONSerializer.string(value)
    }
}
