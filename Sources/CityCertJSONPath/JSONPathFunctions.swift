import CityCertJSON
import CityCertRegex
import Dispatch

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

    /// An implementation charges the budget for the work it does on its arguments' size.
    typealias Implementation = @Sendable ([Evaluator.FunctionResult], Budget) -> Evaluator.FunctionResult

    static let implementations: [String: Implementation] = [
        "length": { args, budget in
            guard case .value(let v) = valueArgument(args[0]) else { return .value(.nothing) }
            switch v {
            case .string(let s):
                guard budget.charge(1 + s.utf8.count / 64) else { return .value(.nothing) }
                return .value(.value(.int(s.unicodeScalars.count)))
            case .array(let a): return .value(.value(.int(a.count)))
            case .object(let o):
                guard budget.chargeMembers(o) else { return .value(.nothing) }
                return .value(.value(.int(o.uniqueEntries.count)))
            default: return .value(.nothing)
            }
        },
        "count": { args, _ in
            guard case .nodes(let n) = args[0] else { return .value(.nothing) }
            return .value(.value(.int(n.count)))
        },
        "match": { args, budget in regexTest(args, whole: true, budget) },
        "search": { args, budget in regexTest(args, whole: false, budget) },
        "value": { args, _ in
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

    /// A match costs the subject's and the pattern's size; a match that times out stops the query
    /// (false would be a guess).
    static func regexTest(_ args: [Evaluator.FunctionResult], whole: Bool, _ budget: Budget) -> Evaluator.FunctionResult {
        guard case .value(.string(let subject)) = valueArgument(args[0]),
            case .value(.string(let pattern)) = valueArgument(args[1])
        else { return .logical(false) }
        guard budget.charge(1 + (subject.utf8.count + pattern.utf8.count) / 64) else { return .logical(false) }
        guard let regex = IRegexp.compile(pattern, whole: whole) else { return .logical(false) }
        guard budget.regexSecondsLeft > 0 else {
            budget.timedOut(pattern)
            return .logical(false)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let outcome = regex.firstMatch(in: subject, timeLimit: min(BoundedRegex.defaultTimeLimit, budget.regexSecondsLeft))
        budget.regexSecondsLeft -= Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        switch outcome {
        case .matched: return .logical(true)
        case .notMatched: return .logical(false)
        case .timedOut:
            budget.timedOut(pattern)
            return .logical(false)
        }
    }
}
