import CityCertCore
import Testing

@Suite struct CoreTests {
    /// FIPS 180-4 test vectors.
    @Test func sha256Vectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Fed in pieces of every size from 1 to 130 bytes (across block boundaries), the incremental hasher
    /// gives the FIPS 180-4 digest of the whole message.
    @Test func sha256Incremental() {
        let message =
            Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8) + [UInt8](repeating: 0x61, count: 200)
        let whole = SHA256.hex(message)
        for piece in 1...130 {
            var hasher = SHA256.Hasher()
            var i = 0
            while i < message.count {
                let end = min(message.count, i + piece)
                message[i..<end].withUnsafeBytes { hasher.update($0) }
                i = end
            }
            #expect(hasher.finalize() == whole, "pieces of \(piece) bytes")
        }
        var a = SHA256.Hasher()
        [UInt8](repeating: 0x61, count: 1_000_000).withUnsafeBytes { a.update($0) }
        #expect(a.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func outcomesCombineFailureFirst() {
        #expect(Outcome.combine([.passed, .error, .failed]) == .failed)
        #expect(Outcome.combine([.passed, .error]) == .error)
        // A check that could not run leaves the requirement unjudged (it was passed).
        #expect(Outcome.combine([.skipped, .passed]) == .skipped)
        #expect(Outcome.combine([.notApplicable, .passed]) == .passed)
        #expect(Outcome.combine([.skipped]) == .skipped)
        #expect(Outcome.combine([]) == .skipped)
    }

    @Test func conformantOnlyWhenEveryMustPassed() {
        func result(_ level: Level, _ outcome: Outcome) -> RequirementResult {
            RequirementResult(
                id: "R", title: "t", clause: "c", url: nil, level: level, tags: [], outcome: outcome, reason: nil, checks: [],
                duration: 0)
        }
        let profile = RunReport.ProfileInfo(
            id: "p", title: "p", version: "1", sha256: "", standardName: "s", standardVersion: "1", standardURL: nil)
        func report(_ rs: [RequirementResult]) -> RunReport {
            RunReport(profile: profile, target: [:], toolVersion: "0", started: 0, finished: 0, insecure: false, requirements: rs)
        }
        #expect(report([result(.must, .passed), result(.should, .failed), result(.may, .error)]).conformant)
        #expect(!report([result(.must, .skipped)]).conformant, "a skipped MUST is not a pass")
        #expect(!report([result(.must, .error)]).conformant)
        #expect(report([result(.must, .passed), result(.must, .failed)]).count(.failed, level: .must) == 1)
    }

    @Test func responseHeadersAreCaseInsensitive() {
        let r = HTTPResponse(
            status: 200, headers: [("Content-Type", "a"), ("X-Many", "1"), ("x-many", "2")], body: [], httpVersion: "HTTP/1.1",
            timings: HTTPTimings(),
            effectiveURL: "http://h/")
        #expect(r.header("content-type") == "a")
        #expect(r.headers(named: "X-MANY") == ["1", "2"])
        #expect(r.header("missing") == nil)
    }
}
