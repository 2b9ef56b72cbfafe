import CityCertJSON
import CityCertRegex

/// The RFC 9535 function extensions (section 2.4): one signature and one implementation each.
enum FunctionRegistry {
    struct Signature {
        let parameters: [FunctionType]
        let result: FunctionType
    }

    static let signatures: [String: Signature] = [
        "length": Signature(parameters: [.value], result: .value),
        "count": Signature(parameters: [.nodes], result: .value),
        "match": Signature(parameters: [.value, .value], result: .logical),
        "search": Signature(parameters: [.value, .value], result: .logical),
        "value": Signature(parameters: [.nodes], result: .value),
    ]

    typealias Implementation = @Sendable ([Evaluator.FunctionResult]) -> Evaluator.FunctionResult

    static let implementations: [String: Implementation] = [
        "length": { args in
            guard case .value(let v) = valueArgument(args[0]) else { return .value(.nothing) }
            switch v {
            case .string(let s): return .value(.value(.int(s.unicodeScalars.count)))
            case .array(let a): return .value(.value(.int(a.count)))
            case .object(let o): return .value(.value(.int(o.uniqueEntries.count)))
            default: return .value(.nothing)
            }
        },
        "count": { args in
            guard case .nodes(let n) = args[0] else { return .value(.nothing) }
            return .value(.value(.int(n.count)))
        },
        "match": { args in regexTest(args, whole: true) },
        "search": { args in regexTest(args, whole: false) },
        "value": { args in
            guard case .nodes(let n) = args[0], n.count == 1 else { return .value(.nothing) }
            return .value(.value(n[0].value))
        },
    ]

    /// A ValueType argument: a value, or a singular query's node list turned into a value or Nothing.
    static func valueArgument(_ r: Evaluator.FunctionResult) -> ValueOrNothing {
        switch r {
        case .value(let v): return v
        case .nodes(let n): return n.count == 1 ? .value(n[0].value) : .nothing
        case .logical: return .nothing
        }
    }

    static func regexTest(_ args: [Evaluator.FunctionResult], whole: Bool) -> Evaluator.FunctionResult {
        guard case .value(.string(let subject)) = valueArgument(args[0]),
            case .value(.string(let pattern)) = valueArgument(args[1])
        else { return .logical(false) }
        guard let regex = IRegexp.compile(pattern, whole: whole) else { return .logical(false) }
        return .logical(regex.firstMatch(in: subject) == .matched)
    }
}
