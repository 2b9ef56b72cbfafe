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

/// libFuzzer's driver, for a program whose `main` is its own (SwiftPM names an executable's entry point
/// `<target>_main`, so libFuzzer's `main` is not the one that runs).
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("citycert_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
