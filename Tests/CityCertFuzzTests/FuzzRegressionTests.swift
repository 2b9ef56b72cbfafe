import CityCertFuzz
import CityCertTestSupport
import Foundation
import Testing

/// Every input in `Fixtures/fuzz/<target>/` (seeds, and each input a fuzzer found crashing or breaking an
/// invariant, kept as a regression test) goes through the fuzz target's entry point: no crash, no hang,
/// and the target's invariants hold.
@Suite struct FuzzRegressionTests {
    static func inputs(_ target: FuzzTarget) -> [URL] {
        let dir = Repository.fixture("fuzz/" + target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases) func committedInputsKeepTheInvariants(target: FuzzTarget) throws {
        let inputs = Self.inputs(target)
        #expect(!inputs.isEmpty, "Fixtures/fuzz/\(target.rawValue)/ has no input")
        for url in inputs {
            let bytes = Array(try Data(contentsOf: url))
            #expect(throws: Never.self, "\(url.lastPathComponent)") { try target.run(bytes) }
        }
    }

    /// The invariants can fail: an input built to break one is caught (the check is not vacuous).
    @Test func anInvariantBreakIsReported() throws {
        // A JSONPath document that does not parse falls back to the built-in one; a query that does not
        // parse is no violation. Neither is a schema that does not compile.
        #expect(throws: Never.self) { try FuzzTarget.jsonpath.run(Array("$[\n{".utf8)) }
        #expect(throws: Never.self) { try FuzzTarget.jsonschema.run(Array("{\"type\": 5}\u{0}1".utf8)) }
        // A profile refused with an error that points into it is fine; the loader's refusal is checked
        // for its location, so a refusal of an empty profile must be located too.
        #expect(throws: Never.self) { try FuzzTarget.profile.run(Array("citycert: 1\n".utf8)) }
        // The JSON tape/tree agreement check itself fails on two different values.
        let different = FuzzTarget.agreementProblem(tape: #"{"a": [1, 2]}"#, tree: #"{"a": [1, 3]}"#)
        #expect(different != nil)
        #expect(FuzzTarget.agreementProblem(tape: #"{"a": [1, 2]}"#, tree: #"{"a": [1, 2]}"#) == nil)
        for text in [#"{"a": "x\"y"}"#, #"{"a": "…"}"#, #"{"a": "x\"…"}"#, #"["x\"…", "x\"y…z\"w"]"#, #"{"a": 1, "a": "x\"…"}"#] {
            #expect(FuzzTarget.agreementProblem(tape: text, tree: text) == nil, "\(text)")
        }
    }
}
