import CityCertJSON
import CityCertProfile
import Foundation
import Synchronization

/// The run's variables: inputs, captures and built-ins; knows which values are secret.
final class Variables: Sendable {
    /// Each variable's text, and, for a captured JSON value other than a string, the value with its type
    /// (an array stays an array): one lock, so a reader never sees one without the other.
    private let values: Mutex<(text: [String: String], typed: [String: JSONValue])>
    /// Every secret in the forms it can take on the wire, longest first (so a longer form is replaced
    /// before a shorter one inside it). Grows during the run: credential header values, secret captures.
    /// Shared with the scopes made from this one (`instance(binding:to:)`): a secret learned in one is a
    /// secret everywhere; the declared origins are computed once for all.
    private let shared: RunShared

    final class RunShared: Sendable {
        let forms = Mutex<[String]>([])
        /// The run's declared origins, computed once (`declaredOrigins(_:)`).
        let origins = Mutex<Set<String>?>(nil)
    }

    /// The origins the run was pointed at, computed by `compute` the first time and kept for the whole run
    /// (they depend on the inputs only, which do not change; scopes share them).
    func declaredOrigins(_ compute: () -> Set<String>) -> Set<String> {
        if let known = shared.origins.withLock({ $0 }) { return known }
        let made = compute()
        shared.origins.withLock { $0 = made }
        return made
    }
    /// Variables whose captured values are secrets (`secret: true`, or used in a credential header).
    let secretVariables: Set<String>
    let runID: String
    let clock: @Sendable () -> Double
    /// Format 1.1: a template alone in an expected value compares with the captured value's type.
    let typedExpected: Bool

    /// The shortest secret citycert accepts: a shorter one would be found, and replaced, everywhere.
    static let minimumSecretLength = 4

    init(
        inputs: [String: String], secrets: [String], secretVariables: Set<String> = [], runID: String,
        clock: @escaping @Sendable () -> Double, typedExpected: Bool = true
    ) {
        self.typedExpected = typedExpected
        values = Mutex((inputs, [:]))
        self.secretVariables = secretVariables
        self.runID = runID
        self.clock = clock
        self.shared = RunShared()
        for s in secrets { addSecret(s) }
    }

    private init(copying parent: Variables) {
        values = Mutex(parent.values.withLock { $0 })
        secretVariables = parent.secretVariables
        runID = parent.runID
        clock = parent.clock
        typedExpected = parent.typedExpected
        shared = parent.shared
    }

    /// A scope for one instance of a `for_each`: today's values, `name` bound to `item`; what it captures
    /// stays in it. Secrets are shared with the whole run.
    func instance(binding name: String, to item: JSONValue) -> Variables {
        let scope = Variables(copying: self)
        scope.set(name, item)
        return scope
    }

    /// Makes `secret` (and its encodings) redacted from now on: raw, percent-encoded (query and path),
    /// JSON-escaped (bodies) and base64 (Basic credentials). Values shorter than the minimum are ignored.
    func addSecret(_ secret: String) {
        guard secret.utf8.count >= Self.minimumSecretLength else { return }
        var forms: Set<String> = [secret]
        var queryAllowed = CharacterSet.urlQueryAllowed
        queryAllowed.remove(charactersIn: "&=+?#")
        if let q = secret.addingPercentEncoding(withAllowedCharacters: queryAllowed) { forms.insert(q) }
        if let p = secret.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) { forms.insert(p) }
        let json = JSONSerializer.string(.string(secret))
        forms.insert(String(json.dropFirst().dropLast()))
        forms.insert(Data(secret.utf8).base64EncodedString())
        shared.forms.withLock { list in
            let known = Set(list)
            let added = forms.subtracting(known)
            guard !added.isEmpty else { return }
            list = (list + added).sorted { $0.count > $1.count }
        }
    }

    var hasSecrets: Bool { shared.forms.withLock { !$0.isEmpty } }

    func set(_ name: String, _ value: String) {
        if secretVariables.contains(name) { addSecret(value) }
        values.withLock {
            $0.typed.removeValue(forKey: name)
            $0.text[name] = value
        }
    }

    /// A captured value: a string is kept as it is, any other value as its JSON text for templates and
    /// as itself for conditions.
    func set(_ name: String, _ value: JSONValue) {
        if case .string(let s) = value { return set(name, s) }
        let text = JSONSerializer.string(value)
        if secretVariables.contains(name) {
            addSecret(text)
            // Each string inside (a list of tokens) is a secret on its own too: it is used one at a time.
            func leaves(_ v: JSONValue) {
                switch v {
                case .string(let s): addSecret(s)
                case .array(let a): a.forEach(leaves)
                case .object(let o): o.entries.forEach { leaves($0.value) }
                default: break
                }
            }
            leaves(value)
        }
        values.withLock {
            $0.typed[name] = value
            $0.text[name] = text
        }
    }

    /// The value as JSON: what was captured, or the text as a string; nil when the variable is unset.
    func json(_ name: String) -> JSONValue? {
        if let v = typed(name) { return v }
        return value(name).map(JSONValue.string)
    }

    /// A typed value by name: a variable, or (1.1) a member of an object variable, `item.member.inner`
    /// (a for_each item that is an object). A name that is itself a variable wins over a member path.
    func typed(_ name: String) -> JSONValue? {
        values.withLock { v -> JSONValue? in
            if let t = v.typed[name] { return t }
            guard v.text[name] == nil, name.contains(".") else { return nil }
            let path = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard var current = v.typed[path[0]] else { return nil }
            for member in path.dropFirst() {
                guard case .object(let o) = current, let next = o[member] else { return nil }
                current = next
            }
            return current
        }
    }

    /// Whether `name` is `variable.member…` of an object variable that lacks the member.
    func isAbsentMember(_ name: String) -> Bool {
        guard name.contains("."), typed(name) == nil else { return false }
        let base = String(name.prefix { $0 != "." })
        return values.withLock { v in if case .object? = v.typed[base] { return true } else { return false } }
    }

    func value(_ name: String) -> String? {
        switch name {
        case "uuid": return UUID().uuidString.lowercased()
        case "run_id": return runID
        case "now":
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return f.string(from: Date(timeIntervalSince1970: clock()))
        case "timestamp": return String(Int(clock() * 1000))
        default:
            if let text = values.withLock({ $0.text[name] }) { return text }
            // A member of an object variable: a string as it is, another value as its JSON text.
            guard name.contains("."), let member = typed(name) else { return nil }
            if case .string(let s) = member { return s }
            return JSONSerializer.string(member)
        }
    }

    func render(_ t: Template) -> String { t.render { self.value($0) } }

    /// Renders template strings inside a JSON value.
    func render(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let s) where s.contains("{{"):
            guard let t = try? Template(parsing: s) else { return v }
            return .string(render(t))
        case .array(let a): return .array(a.map(render))
        case .object(let o): return .object(JSONObject(o.entries.map { ($0.key, render($0.value)) }))
        default: return v
        }
    }

    /// Renders an expected value: like `render`, but (format 1.1) a string that is one template alone (`"{{n}}"`)
    /// becomes the captured value with its JSON type (a count captured as 12 compares equal to 12, not
    /// to "12"); a variable captured as a string, or an input, stays a string.
    func renderExpected(_ v: JSONValue) -> JSONValue {
        guard typedExpected else { return render(v) }  // format 1: text, as it always was
        switch v {
        case .string(let s) where s.hasPrefix("{{") && s.hasSuffix("}}"):
            guard let t = try? Template(parsing: s) else { return v }
            if let name = t.standaloneVariable {
                if let typed = typed(name) { return typed }
                // A member an object item lacks (an optional member of a listed collection) is null, so
                // that `equals` compares it with the document's member: a member the document has and
                // the item lacks fails (the profile says what else it means with any_of).
                if isAbsentMember(name) { return .null }
            }
            return .string(render(t))
        case .string: return render(v)
        case .array(let a): return .array(a.map(renderExpected))
        case .object(let o): return .object(JSONObject(o.entries.map { ($0.key, renderExpected($0.value)) }))
        default: return v
        }
    }

    /// Replaces every secret value in `text` with `***`.
    func redact(_ text: String) -> String {
        let secrets = shared.forms.withLock { $0 }
        guard !secrets.isEmpty else { return text }
        var out = text
        for s in secrets where out.contains(s) { out = out.replacingOccurrences(of: s, with: "***") }
        return out
    }
}
