import CityCertJSON
import CityCertJSONSchema
import Foundation
import Synchronization

/// The frame is a JSON array of the arity its MessageTypeId gives, with the member types of OCPP-J.
struct OCPPFrameShape: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "ocpp-j/frame",
        summary:
            "a message is a JSON array: CALL [2, UniqueId, Action, payload object], CALLRESULT [3, UniqueId, payload object] or CALLERROR [4, UniqueId, errorCode, errorDescription, errorDetails object]",
        reference: "OCPP-J 1.6 §4.1–§4.2; OCPP 2.0.1 Part 4 §4", make: { _ in OCPPFrameShape() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        if case .failure(let e) = OCPPFrame.parse(root) { report(e.pointer, e.message) }
    }
}

/// UniqueId is at most 36 characters.
struct OCPPUniqueID: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "ocpp-j/unique-id",
        summary: "a message's UniqueId is a string of at most 36 characters",
        reference: "OCPP-J 1.6 §4.1.3; OCPP 2.0.1 Part 4 §4.1.4", make: { _ in OCPPUniqueID() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        guard case .array(let a) = root, a.count > 1 else { return }
        guard case .string(let id) = a[1] else { return }  // the frame rule reports a non-string id
        if id.count > 36 { report(JSONPointer.root.appending(1), "the UniqueId has \(id.count) characters; at most 36") }
        if id.isEmpty { report(JSONPointer.root.appending(1), "the UniqueId is empty") }
    }
}

/// Per file (one connection's log, in order): the CALLs still waiting for an answer.
final class OCPPPending: Sendable {
    let byFile = Mutex<[String: [String: String]]>([:])

    /// Records a CALL; returns false when its id is already pending.
    func call(_ file: String, _ id: String, _ action: String) -> Bool {
        byFile.withLock { m in
            if m[file]?[id] != nil { return false }
            m[file, default: [:]][id] = action
            return true
        }
    }

    /// The action of the pending CALL this response answers (and forgets it), or nil.
    func answer(_ file: String, _ id: String) -> String? {
        byFile.withLock { $0[file]?.removeValue(forKey: id) }
    }
}

/// Every CALLRESULT and CALLERROR answers a CALL earlier in the same log, with the same UniqueId.
struct OCPPResponseMatchesCall: DataRule {
    static let descriptor = RuleDescriptor(
        id: "ocpp-j/response-matches-call",
        summary:
            "every CALLRESULT and CALLERROR carries the UniqueId of a CALL earlier in the same log that has no answer yet, and no CALL reuses the UniqueId of one still unanswered",
        reference: "OCPP-J 1.6 §4.1.3, §4.2.2; OCPP 2.0.1 Part 4 §4.2", make: { _ in OCPPResponseMatchesCall() })

    func makeSession() -> any RuleSession { Session() }

    final class Session: RuleSession {
        let pending = OCPPPending()
        func visit(_ document: RuleDocument, report: (RuleFinding) -> Void) {
            guard case .success(let frame) = OCPPFrame.parse(document.root) else { return }
            switch frame {
            case .call(let id, let action, _):
                if !pending.call(document.file, id, action) {
                    report(
                        RuleFinding(
                            pointer: JSONPointer.root.appending(1),
                            message: "a CALL reuses the UniqueId '\(id)' of an unanswered CALL"))
                }
            case .result(let id, _), .error(let id, _, _, _):
                if pending.answer(document.file, id) == nil {
                    report(
                        RuleFinding(
                            pointer: JSONPointer.root.appending(1),
                            message: "no unanswered CALL with the UniqueId '\(id)' precedes this response"))
                }
            }
        }
        func finish(report: (RuleFinding) -> Void) {}
    }
}

/// CALL payloads validate against the action's request schema, CALLRESULT payloads against the
/// response schema of the CALL they answer.
struct OCPPPayloadSchema: DataRule {
    static let descriptor = RuleDescriptor(
        id: "ocpp-j/payload",
        summary:
            "a CALL's payload is valid against its Action's request schema, and a CALLRESULT's payload against the response schema of the CALL it answers (an Action without a schema in the folder is unknown to the version)",
        reference: "OCPP-J 1.6 §4.2.1, §4.2.2 and the OCPP JSON schemas; OCPP 2.0.1 Part 4 §4.2",
        parameters: [
            RuleParameter("schemas", .folder, required: true, "the folder of the version's JSON schemas"),
            RuleParameter(
                "request", .value, required: false,
                "the request schema's file name, with {action} (default \"{action}Request.json\"; OCPP 1.6: \"{action}.json\")"),
            RuleParameter(
                "response", .value, required: false, "the response schema's file name (default \"{action}Response.json\")"),
        ],
        make: { p throws(RuleParameterError) in try OCPPPayloadSchema(p) })

    let schemas: [String: JSONSchema]
    /// Actions with a request schema (file names that fit the request pattern and are not responses).
    let requestActions: Set<String>
    let folder: String
    let request: String
    let response: String

    init(_ p: RuleParameters) throws(RuleParameterError) {
        guard let folder = p.files["schemas"] else { throw RuleParameterError("schemas", "missing parameter 'schemas'") }
        self.folder = folder
        request = p.values["request"]?.stringValue ?? "{action}Request.json"
        response = p.values["response"]?.stringValue ?? "{action}Response.json"
        guard request.contains("{action}"), response.contains("{action}") else {
            throw RuleParameterError("request", "the request and response file names contain {action}")
        }
        var options = SchemaOptions()
        options.formatAssertion = true
        options.defaultDraft = .draft6
        var schemas: [String: JSONSchema] = [:]
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for f in files.sorted() where f.hasSuffix(".json") {
            let path = try RuleFiles.inside((folder as NSString).appendingPathComponent(f), root: p.root, parameter: "schemas")
            let doc = try RuleFiles.readJSON(path, parameter: "schemas")
            let schema: JSONSchema
            do {
                schema = try JSONSchema(
                    document: doc, uri: URL(fileURLWithPath: path).absoluteString, path: path,
                    catalog: SchemaCatalog(fileRoot: folder), options: options)
            } catch {
                throw RuleParameterError("schemas", "\(path): the schema does not compile: \(error)")
            }
            // Like every schema a profile uses: valid against its draft's meta-schema, no misspelt keyword.
            if let problem = MetaSchemas.problems(of: schema, fallback: options.defaultDraft).first {
                throw RuleParameterError("schemas", "\(problem.path ?? path): \(problem.pointer): \(problem.message)")
            }
            schemas[f] = schema
        }
        guard !schemas.isEmpty else { throw RuleParameterError("schemas", "no .json schema in \(folder)") }
        self.schemas = schemas
        let requestPattern = request
        let responsePattern = response
        func action(_ file: String, _ pattern: String) -> String? {
            let parts = pattern.components(separatedBy: "{action}")
            guard parts.count == 2, file.hasPrefix(parts[0]), file.hasSuffix(parts[1]),
                file.count > parts[0].count + parts[1].count
            else { return nil }
            return String(file.dropFirst(parts[0].count).dropLast(parts[1].count))
        }
        // With OCPP 1.6 naming ({action}.json), "BootNotificationResponse.json" also fits the request
        // pattern; it is the response of BootNotification (whose request schema exists), not an action.
        var actions = Set<String>()
        for f in schemas.keys {
            guard let a = action(f, requestPattern) else { continue }
            if let answered = action(f, responsePattern),
                schemas[requestPattern.replacingOccurrences(of: "{action}", with: answered)] != nil
            {
                continue
            }
            actions.insert(a)
        }
        requestActions = actions
    }

    func makeSession() -> any RuleSession { Session(rule: self) }

    final class Session: RuleSession {
        let rule: OCPPPayloadSchema
        let pending = OCPPPending()
        init(rule: OCPPPayloadSchema) { self.rule = rule }

        func visit(_ document: RuleDocument, report: (RuleFinding) -> Void) {
            guard case .success(let frame) = OCPPFrame.parse(document.root) else { return }
            func validate(_ file: String, _ payload: JSONValue, at index: Int, _ what: String) {
                guard let schema = rule.schemas[file] else {
                    report(
                        RuleFinding(
                            pointer: JSONPointer.root.appending(2), message: "\(what): no schema \(file) in the version's folder")
                    )
                    return
                }
                for e in schema.validate(payload) {
                    var p = JSONPointer.root.appending(index)
                    for t in e.instanceLocation.tokens { p = p.appending(t) }
                    report(RuleFinding(pointer: p, message: "\(file): \(e.message)", isLimit: e.isLimit))
                }
            }
            switch frame {
            case .call(let id, let action, let payload):
                _ = pending.call(document.file, id, action)
                guard rule.requestActions.contains(action) else {
                    report(
                        RuleFinding(
                            pointer: JSONPointer.root.appending(2),
                            message: "unknown Action '\(action)': no request schema for it in the version's folder"))
                    return
                }
                validate(
                    rule.request.replacingOccurrences(of: "{action}", with: action), payload, at: 3, "unknown Action '\(action)'")
            case .result(let id, let payload):
                guard let action = pending.answer(document.file, id) else { return }  // reported by response-matches-call
                validate(
                    rule.response.replacingOccurrences(of: "{action}", with: action), payload, at: 2, "the answer to '\(action)'")
            case .error(let id, _, _, _):
                _ = pending.answer(document.file, id)
            }
        }
        func finish(report: (RuleFinding) -> Void) {}
    }
}

/// CALLERROR codes are the version's.
struct OCPPErrorCode: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "ocpp-j/error-code",
        summary: "a CALLERROR's errorCode is one of the version's error codes (case-sensitive)",
        reference: "OCPP-J 1.6 §4.2.3; OCPP 2.0.1 Part 4 §4.3",
        parameters: [RuleParameter("codes", .value, required: true, "the list of the version's error codes")],
        make: { p throws(RuleParameterError) in
            guard case .array(let a)? = p.values["codes"], !a.isEmpty else {
                throw RuleParameterError("codes", "codes is a non-empty list of error codes")
            }
            return OCPPErrorCode(codes: Set(a.compactMap(\.stringValue)))
        })

    let codes: Set<String>

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        guard case .success(.error(_, let code, _, _)) = OCPPFrame.parse(root) else { return }
        if !codes.contains(code) {
            let hint = codes.first { $0.lowercased() == code.lowercased() }.map { " (codes are case-sensitive: \($0))" } ?? ""
            report(JSONPointer.root.appending(2), "'\(code)' is not an error code of this version\(hint)")
        }
    }
}
