import CityCertJSON

/// An OCPP-J RPC frame (OCPP-J 1.6 §4.2; OCPP 2.0.1 Part 4 §4.2): one JSON array per message.
enum OCPPFrame {
    case call(id: String, action: String, payload: JSONValue)
    case result(id: String, payload: JSONValue)
    case error(id: String, code: String, description: String, details: JSONValue)

    var id: String {
        switch self {
        case .call(let id, _, _), .result(let id, _), .error(let id, _, _, _): return id
        }
    }

    /// The frame, or what is wrong with its shape (pointer into the frame, message).
    static func parse(_ v: JSONValue) -> Result<OCPPFrame, ShapeError> {
        guard case .array(let a) = v else { return .failure(ShapeError(.root, "a frame is a JSON array; found \(v.typeName)")) }
        guard let first = a.first, case .number(let n) = first, let type = n.int64 else {
            return .failure(ShapeError(.root, "a frame starts with its MessageTypeId (2 CALL, 3 CALLRESULT, 4 CALLERROR)"))
        }
        func string(_ i: Int, _ what: String) -> Result<String, ShapeError> {
            guard i < a.count, case .string(let s) = a[i] else {
                return .failure(ShapeError(JSONPointer.root.appending(i), "\(what) is a string"))
            }
            return .success(s)
        }
        func object(_ i: Int, _ what: String) -> Result<JSONValue, ShapeError> {
            guard i < a.count, case .object = a[i] else {
                return .failure(ShapeError(JSONPointer.root.appending(i), "\(what) is a JSON object"))
            }
            return .success(a[i])
        }
        let arity: [Int64: Int] = [2: 4, 3: 3, 4: 5]
        guard let expected = arity[type] else {
            return .failure(
                ShapeError(JSONPointer.root.appending(0), "unknown MessageTypeId \(type) (2 CALL, 3 CALLRESULT, 4 CALLERROR)"))
        }
        guard a.count == expected else {
            let name = type == 2 ? "CALL" : type == 3 ? "CALLRESULT" : "CALLERROR"
            return .failure(ShapeError(.root, "a \(name) frame has \(expected) elements; this one has \(a.count)"))
        }
        return string(1, "the UniqueId").flatMap { id -> Result<OCPPFrame, ShapeError> in
            switch type {
            case 2:
                return string(2, "the Action").flatMap { action in
                    object(3, "the payload").map { .call(id: id, action: action, payload: $0) }
                }
            case 3: return object(2, "the payload").map { .result(id: id, payload: $0) }
            default:
                return string(2, "the errorCode").flatMap { code in
                    string(3, "the errorDescription").flatMap { desc in
                        object(4, "the errorDetails").map { .error(id: id, code: code, description: desc, details: $0) }
                    }
                }
            }
        }
    }

    struct ShapeError: Error {
        let pointer: JSONPointer
        let message: String
        init(_ pointer: JSONPointer, _ message: String) {
            self.pointer = pointer
            self.message = message
        }
    }
}
