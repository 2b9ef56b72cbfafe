import CityCertFuzz
import Foundation

/// The target is chosen by CITYCERT_FUZZ_TARGET (json, jsonpath, jsonschema, profile, csv, gtfs, response).
let target: FuzzTarget = {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    guard let name = ProcessInfo.processInfo.environment["CITYCERT_FUZZ_TARGET"] else {
        fatalError("set CITYCERT_FUZZ_TARGET to one of: \(names)")
    }
    guard let t = FuzzTarget(rawValue: name) else { fatalError("unknown fuzz target '\(name)'; one of: \(names)") }
    return t
}()

/// libFuzzer's entry point: an invariant that does not hold is a crash, so the input is kept.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do {
        try target.run(bytes)
    } catch {
        fatalError("\(error)")
    }
    return 0
}
