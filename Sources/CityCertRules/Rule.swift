public import CityCertJSON
import Foundation

/// One finding of a rule: a place in the document being visited, or (for rules that compare
/// documents) a place in another document whose location the rule resolved earlier.
public struct RuleFinding: Sendable {
    public var pointer: JSONPointer
    public var message: String
    /// Set by cross-document rules: the file and location the finding is about.
    public var file: String?
    public var location: SourceLocation?
    /// The rule could not judge (a limit of the harness, such as a schema `pattern` that ran out of
    /// time): the runner reports an error, not a finding against the data.
    public var isLimit: Bool

    public init(
        pointer: JSONPointer, message: String, file: String? = nil, location: SourceLocation? = nil, isLimit: Bool = false
    ) {
        self.pointer = pointer
        self.message = message
        self.file = file
        self.location = location
        self.isLimit = isLimit
    }
}

/// A document as a rule sees it: its value, the file it came from, and a way to place a pointer.
public struct RuleDocument {
    public let root: JSONValue
    public let file: String
    public let locate: (JSONPointer) -> SourceLocation

    public init(root: JSONValue, file: String, locate: @escaping (JSONPointer) -> SourceLocation) {
        self.root = root
        self.file = file
        self.locate = locate
    }
}

/// The state of one rule over one data check (all its files). Sessions may be visited from
/// several threads at once (`--jobs`), so stateful ones lock.
public protocol RuleSession: AnyObject, Sendable {
    func visit(_ document: RuleDocument, report: (RuleFinding) -> Void)
    /// Called once after the last document; cross-document rules report here.
    func finish(report: (RuleFinding) -> Void)
}

/// A compiled rule, ready to check documents.
public protocol DataRule: Sendable {
    func makeSession() -> any RuleSession
}

/// A rule that judges each document on its own.
public protocol DocumentRule: DataRule {
    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void)
}

extension DocumentRule {
    public func makeSession() -> any RuleSession { DocumentRuleSession(rule: self) }
}

final class DocumentRuleSession<R: DocumentRule>: RuleSession {
    let rule: R
    init(rule: R) { self.rule = rule }
    func visit(_ document: RuleDocument, report: (RuleFinding) -> Void) {
        rule.check(document.root) { report(RuleFinding(pointer: $0, message: $1)) }
    }
    func finish(report: (RuleFinding) -> Void) {}
}

/// A parameter a rule takes in a profile (`rule: {id: …, <name>: …}`).
public struct RuleParameter: Sendable {
    public enum Kind: Sendable {
        /// A file inside the profile's folder; the loader resolves it (sandboxed) to a path.
        case file
        /// A folder inside the profile's folder, resolved like a file.
        case folder
        /// Any YAML value, passed as JSON.
        case value
    }
    public let name: String
    public let kind: Kind
    public let required: Bool
    public let summary: String

    public init(_ name: String, _ kind: Kind, required: Bool, _ summary: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.summary = summary
    }
}

/// The parameters of one use of a rule: file parameters as resolved paths, others as JSON.
public struct RuleParameters: Sendable {
    /// The profile's folder: files a rule reads through a parameter stay inside it.
    public var root: String = "/"
    public var files: [String: String] = [:]
    public var values: [String: JSONValue] = [:]
    public init() {}
}

/// A rule's parameters did not make sense (the loader reports it at the parameter, with exit code 2).
public struct RuleParameterError: Error, Sendable, CustomStringConvertible {
    public let parameter: String
    public let message: String
    public init(_ parameter: String, _ message: String) {
        self.parameter = parameter
        self.message = message
    }
    public var description: String { message }
}

/// What the registry knows about a rule: its id (used in profiles), what it checks, and what it reads.
public struct RuleDescriptor: Sendable {
    /// Stable id, `<family>/<name>`, e.g. `geojson/linear-ring`.
    public let id: String
    /// One sentence: what a finding means.
    public let summary: String
    /// The text the rule implements (a clause of a standard), so a profile can cite it.
    public let reference: String
    public let parameters: [RuleParameter]
    public let make: @Sendable (RuleParameters) throws(RuleParameterError) -> any DataRule

    public init(
        id: String, summary: String, reference: String, parameters: [RuleParameter] = [],
        make: @escaping @Sendable (RuleParameters) throws(RuleParameterError) -> any DataRule
    ) {
        self.id = id
        self.summary = summary
        self.reference = reference
        self.parameters = parameters
        self.make = make
    }
}

extension RuleParameters {
    /// Reads a JSON file named by a file parameter (already resolved by the loader).
    func json(_ name: String) throws(RuleParameterError) -> (path: String, value: JSONValue) {
        guard let path = files[name] else { throw RuleParameterError(name, "missing parameter '\(name)'") }
        return (path, try RuleFiles.readJSON(path, parameter: name))
    }
}

/// File access for rules: JSON files inside the profile's folder only.
enum RuleFiles {
    static func readJSON(_ path: String, parameter: String) throws(RuleParameterError) -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuleParameterError(parameter, "cannot read \(path)")
        }
        do {
            return try JSONValue.parse(bytes: Array(data))
        } catch {
            throw RuleParameterError(parameter, "\(path): not valid JSON: \(error)")
        }
    }

    /// `path` with its symbolic links resolved, refused when that leaves `root` (a link inside the
    /// profile's folder must not open a file outside it).
    static func inside(_ path: String, root: String, parameter: String) throws(RuleParameterError) -> String {
        guard let full = RealPath.inside(path, root) else {
            throw RuleParameterError(
                parameter,
                "\(path) leads outside the profile's folder, or cannot be resolved (a symbolic link?); only files inside it are read"
            )
        }
        return full
    }

    /// `relative` resolved against the folder of `base`, refused when it leaves `root`.
    static func resolve(_ relative: String, nextTo base: String, root: String, parameter: String) throws(RuleParameterError)
        -> String
    {
        let folder = (base as NSString).deletingLastPathComponent
        // Symbolic links are resolved first, so a link inside the folder cannot point outside it.
        let joined = URL(fileURLWithPath: folder).appendingPathComponent(relative).path
        guard let full = RealPath.inside(joined, root) else {
            throw RuleParameterError(
                parameter, "'\(relative)' in \(base) is outside the profile's folder; only files inside it are read")
        }
        return full
    }
}
