public import CityCertCore
public import CityCertGTFS
public import CityCertJSON
public import CityCertJSONPath
public import CityCertJSONSchema
public import CityCertRegex
public import CityCertRules

/// A place in a profile file, for messages.
public struct SourceMark: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public var description: String { "\(file):\(line):\(column)" }
}

/// A loaded and fully compiled conformance profile: nothing in it is parsed again at run time.
public struct Profile: Sendable {
    public let file: String
    public let folder: String
    public let sha256: String
    /// "1" or "1.1".
    public let formatVersion: String
    public let id: String
    public let title: String
    public let version: String
    public let standard: Standard
    public let description: String?
    public let inputs: [InputSpec]
    public let defaults: Defaults
    public let requirements: [Requirement]
    /// Requirement ids of cleanup steps, run at the end even after failures.
    public let cleanup: [HTTPStep]
    /// The notification receiver this profile needs (`receiver:`), hosted by citycert for the run.
    public var receiver: ReceiverSpec? = nil
    /// `uncovered: fail`: a document of the data paths that no requirement looks at fails the verdict.
    public var uncoveredFails = false
    /// `official_tests:` (1.1): the official suite this profile measures its coverage against.
    public var officialTests: OfficialTests? = nil
    /// `classes:` (1.1): the standard's conformance classes, each with its requirements; every report
    /// gives a verdict per class. Empty when the profile declares none.
    public var classes: [ConformanceClass] = []
}

/// A conformance class of the standard (OGC's "conformance class", a oneM2M feature set): the
/// requirements a target must meet to claim it.
public struct ConformanceClass: Sendable {
    public let id: String
    /// The class's URI in the standard (e.g. `http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel`).
    public let uri: String?
    public let title: String
    /// Its requirements' ids, in profile order.
    public let requirements: [String]
    /// `applies_if`: the class applies only where the target declares it; its requirements that belong to
    /// no other applying class are then not applicable.
    public let appliesIf: Condition?
    public let mark: SourceMark
}

public struct Standard: Sendable {
    public let name: String
    public let version: String
    public let url: String?
}

/// A value the user supplies with `--input name=value` or an inputs file.
public struct InputSpec: Sendable {
    public let name: String
    public let description: String?
    public let required: Bool
    public let defaultValue: String?
    /// Secrets never appear in reports or logs.
    public let secret: Bool
}

public struct Defaults: Sendable {
    public var connectTimeout: Double = 10
    public var totalTimeout: Double = 30
    public var headers: [(name: String, value: Template)] = []
}

public struct Requirement: Sendable {
    public let id: String
    public let title: String
    public let clause: String
    public let url: String?
    /// A short excerpt of the normative text.
    public let quote: String?
    public let level: Level
    public let tags: [String]
    public let needs: [String]
    /// When set, the requirement applies only if this condition holds on the run's variables (e.g. a
    /// conformance class the server declares); otherwise it is not applicable.
    public var appliesIf: Condition? = nil
    /// `covers:` (1.1): the official tests (or variants, `id_VARIANT`) this requirement implements.
    public var covers: [String] = []
    /// The conformance classes (ids) this requirement belongs to.
    public var classes: [String] = []
    /// When each of its classes holds an `applies_if`, the requirement applies only where one of them
    /// holds; nil when it belongs to no class or to one without a condition.
    public var classGate: [ClassGate]? = nil
    public let checks: [Check]
    public let mark: SourceMark
    /// True when some step of this requirement changes the target's data.
    public var writes: Bool {
        checks.contains { if case .http(let h) = $0 { return h.steps.contains(where: \.writes) } else { return false } }
    }
}

/// A class condition that decides whether a requirement applies (see `Requirement.classGate`).
public struct ClassGate: Sendable {
    public let classID: String
    public let condition: Condition
}

/// An `applies_if` condition over the run's variables. A captured JSON value keeps its type: an
/// array `contains` an item equal to the text (membership, not a substring of its serialization).
public indirect enum Condition: Sendable {
    public enum Test: Sendable {
        /// Array: an item equal to the text; object: a member of that name; string: the substring.
        case contains(Template)
        /// The value is the string (or a number or boolean written as the text).
        case equals(Template)
        /// Array: a string item the regex finds a match in; string: the regex finds a match.
        case matches(BoundedRegex)
    }
    case variable(String, Test, text: String)
    case any([Condition])
    case all([Condition])
    case not(Condition)

    /// Every variable the condition reads.
    public var variables: Set<String> {
        switch self {
        case .variable(let v, let test, _):
            switch test {
            case .contains(let t), .equals(let t): return Set([v]).union(t.variables)
            case .matches: return [v]
            }
        case .any(let cs), .all(let cs): return cs.reduce(into: Set<String>()) { $0.formUnion($1.variables) }
        case .not(let c): return c.variables
        }
    }
}

public enum Check: Sendable {
    case http(HTTPCheck)
    case data(DataCheck)
    case gtfs(GTFSCheck)

    public var name: String {
        switch self {
        case .http(let h): return h.name
        case .data(let d): return d.name
        case .gtfs(let g): return g.name
        }
    }
}

/// A GTFS Schedule check: the feeds among the command-line paths (zips, and folders holding GTFS
/// files) are validated once per run, and this check reports the notices with its codes.
public struct GTFSCheck: Sendable {
    public let name: String
    public let schema: GTFSSchema
    /// Path of the schema file (feeds are validated once per schema).
    public let schemaPath: String
    /// Notice codes this check reports.
    public let notices: Set<String>
    /// When set, only notices about these files.
    public let files: Set<String>?
    public let limits: GTFSLimits
    public let mark: SourceMark
}

public struct HTTPCheck: Sendable {
    public let name: String
    public let steps: [HTTPStep]
    /// `for_each`: the steps run once per item, each instance with its own variables (the item bound to
    /// `variable`, its captures its own) and its own result.
    public var forEach: ForEach?
}

/// Paging: where each page names the next one, and how many pages at most.
public struct Follow: Sendable {
    public enum Next: Sendable {
        /// A JSONPath whose first selected value is the next page's URL (`$['@iot.nextLink']`,
        /// `$.links[?@.rel == 'next'].href`).
        case jsonPath(JSONPath)
        /// An RFC 8288 `Link` header with this relation (`next`).
        case linkRelation(String)
    }
    public let next: Next
    /// More pages than this make the step an `error` (default 100), or, with `at_limit: stop`, end the
    /// paging there: the pages read are judged and the evidence says the rest was not.
    public let maxPages: Int
    public var stopAtLimit = false
    /// 1.1 `count: {path: P, as: V, equals: N}`: once the last page is read, V holds how many nodes P
    /// selected over all the pages, and the step fails unless that is N (a number or a template alone: the
    /// numberMatched the first page gave, the count of an earlier paging).
    public var count: (path: JSONPath, variable: String?, equals: JSONValue?)? = nil
}

/// What a check repeats over: a list written in the profile, or a variable alone holding an array (a
/// JSONPath capture that selected several nodes, an input).
public struct ForEach: Sendable {
    public enum Items: Sendable {
        case list([JSONValue])
        case variable(String)
    }
    public let items: Items
    /// The variable each item is bound to in the steps.
    public let variable: String
    /// More items than this make the check an `error` (default 100).
    public let max: Int
    public let mark: SourceMark
}

/// Where the run's notification receiver listens, and the URL announced to targets.
public struct ReceiverSpec: Sendable {
    public let host: String
    public let port: Int
    public let publicURL: String?
}

public struct HTTPStep: Sendable {
    public let name: String
    public let method: String
    public let url: Template
    public let headers: [(name: String, value: Template)]
    public let query: [(name: String, value: Template)]
    public let body: RequestBody?
    public let connectTimeout: Double?
    public let totalTimeout: Double?
    public let redirects: RedirectPolicy
    /// Headers (lowercased names) the step lets follow a redirect to another origin (`redirect_headers`).
    public var redirectHeaders: Set<String> = []
    /// `follow`: the step pages through next links, judging every page.
    public var follow: Follow?
    public let writes: Bool
    public let expect: Expectations
    public let captures: [Capture]
    public let eventually: Eventually?
    public let mark: SourceMark
    /// When set, the step sends nothing: it waits up to this many seconds for a notification on the
    /// run's receiver that meets `expect` (headers and body judged like a response).
    public var awaitNotification: Double? = nil
}

public enum RequestBody: Sendable {
    /// A JSON value whose strings may hold `{{templates}}`.
    case json(JSONValue)
    case text(Template, contentType: String?)
    case file(path: String, contentType: String?)
}

public struct Eventually: Sendable {
    public let within: Double
    public let every: Double
}

public enum StatusExpectation: Sendable, CustomStringConvertible {
    case codes([Int])
    case classes([Int])  // 2 for 2xx

    public func matches(_ status: Int) -> Bool {
        switch self {
        case .codes(let c): return c.contains(status)
        case .classes(let c): return c.contains(status / 100)
        }
    }

    public var description: String {
        switch self {
        case .codes(let c): return c.map(String.init).joined(separator: " or ")
        case .classes(let c): return c.map { "\($0)xx" }.joined(separator: " or ")
        }
    }
}

public enum HeaderPredicate: Sendable {
    case equals(Template)
    case matches(BoundedRegex)
    case present
    case absent
    /// Compared as a media type: type/subtype case-insensitively, listed parameters must match.
    case mediaType(type: String, parameters: [(String, String)])
}

public struct HeaderExpectation: Sendable {
    public let name: String
    public let predicate: HeaderPredicate
}

public struct Expectations: Sendable {
    public var status: StatusExpectation?
    public var headers: [HeaderExpectation] = []
    public var bodyIsJSON = false
    public var schema: NamedSchema?
    public var assertions: [Assertion] = []
    public var durationBelow: Double?
    /// `body: {empty: true}` (1.1): the response has no body (nothing but whitespace); `false`: it has one.
    public var bodyEmpty: Bool?
    /// `expect: {any: true}`: the profile states that any response passes (the step exists for its
    /// side effect); without it, a step that expects and captures nothing is refused.
    public var anyResponse = false
    /// Nothing is expected of the response.
    public var isEmpty: Bool {
        status == nil && headers.isEmpty && !bodyIsJSON && schema == nil && assertions.isEmpty && durationBelow == nil
            && bodyEmpty == nil
    }
}

/// A compiled schema with the name or file it came from, for messages.
public struct NamedSchema: Sendable {
    public let name: String
    public let schema: JSONSchema
}

/// A JSONPath assertion: `path` selects nodes, `predicate` judges them.
public struct Assertion: Sendable {
    public let path: JSONPath
    public let predicate: Predicate
    /// How the assertion reads in the profile, for messages: `$.id matches ^urn:`.
    public let text: String
    public let mark: SourceMark
}

public indirect enum Predicate: Sendable {
    case exists(Bool)
    case equals(JSONValue)
    case notEquals(JSONValue)
    case oneOf([JSONValue])
    case matches(BoundedRegex)
    case type(String)
    case count(Bound)
    case lessThan(Bound)
    case lessOrEqual(Bound)
    case greaterThan(Bound)
    case greaterOrEqual(Bound)
    case contains(JSONValue)
    case format(String)
    /// 1.1: every node is a GeoJSON geometry with a point in common with the box (a template rendering to
    /// `minx,miny,maxx,maxy`, or a list of four or six numbers).
    case intersectsBBox(JSONValue)
    /// 1.1: at least one selected node equals the value (the created id is among those listed).
    case includes(JSONValue)
    /// 1.1: every node is a number within `tolerance` of the value (a number or a variable alone): a
    /// coordinate transformed by the target compared with the one it gave untransformed.
    case near(JSONValue, tolerance: Double)
    /// 1.1 composition: every one of these assertions holds (each with its own path).
    case allOf([Assertion])
    /// 1.1: at least one of these assertions holds.
    case anyOf([Assertion])
    /// 1.1: this assertion does not hold (a path that selects nothing makes most predicates fail, so
    /// `not` over them holds).
    case not(Assertion)

    /// The assertions a composition is made of (empty for a plain predicate).
    public var parts: [Assertion] {
        switch self {
        case .allOf(let p), .anyOf(let p): return p
        case .not(let a): return [a]
        default: return []
        }
    }
}

/// The number a comparison (`lt`, `le`, `gt`, `ge`, `count`) is made against: written in the profile, a
/// captured variable (`ge: "{{min}}"`), or a value of the same document (`count: {path: $.numberReturned}`),
/// so that a profile need not hard-code one server's numbers.
public enum Bound: Sendable {
    case number(JSONDecimal)
    case variable(String)
    case path(JSONPath)

    public var isLiteral: Bool { if case .number = self { return true } else { return false } }

    public var text: String {
        switch self {
        case .number(let d): return d.text
        case .variable(let v): return "{{\(v)}}"
        case .path(let p): return p.text
        }
    }
}

public struct Capture: Sendable {
    public enum Source: Sendable {
        case jsonPath(JSONPath)
        case header(String, regex: BoundedRegex?)
        case bodyRegex(BoundedRegex)
    }
    public let variable: String
    public let source: Source
    /// `secret: true`: the captured value (a token) is redacted from every output, like a secret input.
    public var secret = false
    /// `all: true` (jsonpath only): the variable holds the array of every selected value (empty when the
    /// path selects nothing); without it, the first selected value, and selecting nothing is a failure.
    public var all = false
    /// 1.1 `absent: not-applicable`: when the jsonpath selects nothing or null (or the header is missing), the check
    /// does not apply to this target (an empty collection has no feature to filter) instead of failing.
    public var absentNotApplicable = false
    /// 1.1 `resolve: true`: the value (a link's href) is resolved against the URL of the response.
    public var resolve = false
    /// 1.1 `add: N`: the value (a number) plus N, e.g. a box a little larger than a returned position.
    public var add: Double? = nil
}

public enum DataFormat: String, Sendable {
    /// `json`: a top-level array is streamed element by element (each one a document);
    /// `document`: the whole file is one document; `jsonl`: one document per line.
    case json, document, jsonl, jsonld, auto
}

/// Which documents a data check looks at.
public enum DataSelector: Sendable {
    /// A JSONPath assertion that must hold.
    case assertion(Assertion)
    /// The entity's model (its `type`, or the last segment of a type IRI) is one of these.
    case model([String])
    /// The entity's representation, detected from its shape, is one of these.
    case representation(Set<EntityRepresentation>)
}

/// A built-in rule named by a data check (`rule:`), resolved in the rule registry at load time.
public struct RuleReference: Sendable {
    public let id: String
    public let rule: any DataRule
    public init(id: String, rule: any DataRule) {
        self.id = id
        self.rule = rule
    }
}

public struct DataCheck: Sendable {
    public let name: String
    /// Globs matched against the paths given on the command line (and files under given folders).
    public let files: [String]
    public let format: DataFormat
    /// Only documents for which every selector holds are checked (e.g. `$.type equals AirQualityObserved`).
    public let select: [DataSelector]
    /// When true, the schema and assertions judge the entity's keyValues projection (normalized
    /// NGSI-LD / NGSI-v2 attributes reduced to their values); findings still point into the file.
    public let projectKeyValues: Bool
    public let schema: NamedSchema?
    /// When set, only schema errors from these keywords are findings (e.g. `[format]` for a format-only SHOULD).
    public let schemaKeywords: Set<String>?
    /// Schema errors from these keywords are not findings (e.g. `[format]` when a format-asserting
    /// schema judges structure: `oneOf` alternatives told apart by format still work).
    public let schemaIgnore: Set<String>
    public let assertions: [Assertion]
    /// Built-in rules (RFC 7946 geometry checks, NGSI representation agreement, …).
    public let rules: [RuleReference]
    /// How duplicate keys in a document are judged.
    public let duplicateKeys: Outcome
    public let mark: SourceMark
}
