import CityCertJSON
import CityCertTestSupport
import Foundation
import Testing

/// The certification flow on the command line: run, keygen, sign, verify, with the exit codes the help
/// states (0 valid, 1 not valid with each reason, 2 usage).
@Suite struct CertificateCLITests {
    @Test func runKeygenSignVerify() async throws {
        let dir = NSTemporaryDirectory() + "citycert-cert-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/trusted", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try await CityCertBinary.run([
            "run", "Profiles/smart-data-models/air-quality/profile.yaml",
            "Fixtures/smart-data-models/Environment/AirQualityObserved",
            "--report-json", dir + "/r.json",
        ])
        #expect(run.status == 1)

        let keygen = try await CityCertBinary.run(["keygen", "--out", dir + "/board"])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/board.key")[.posixPermissions] as? Int
        #expect(mode == 0o600, "the private key is readable by its owner only")
        let again = try await CityCertBinary.run(["keygen", "--out", dir + "/board"])
        #expect(again.status == 2 && again.stderr.contains("never overwrites"))

        // A private key others can read is refused.
        #expect(chmod(dir + "/board.key", 0o644) == 0)
        let exposed = try await CityCertBinary.run(["sign", dir + "/r.json", "--key", dir + "/board.key"])
        #expect(exposed.status == 2 && exposed.stderr.contains("can be read by others"), "\(exposed.stderr)")
        #expect(chmod(dir + "/board.key", 0o600) == 0)
        let withPublic = try await CityCertBinary.run(["sign", dir + "/r.json", "--key", dir + "/board.pub"])
        #expect(withPublic.status == 2 && withPublic.stderr.contains("holds no secret key"))
        let sign = try await CityCertBinary.run(["sign", dir + "/r.json", "--key", dir + "/board.key"])
        #expect(sign.status == 0, "\(sign.stderr)")
        let cert = try JSONValue.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/r.cert.json"))))
        #expect(cert["credentialSubject"]?["verdict"] == .string("NOT CONFORMANT"))
        #expect(cert["proof"]?["cryptosuite"] == .string("eddsa-jcs-2022"))

        try FileManager.default.copyItem(atPath: dir + "/board.pub", toPath: dir + "/trusted/board.pub")
        let ok = try await CityCertBinary.run(["verify", dir + "/r.cert.json", dir + "/r.json", "--trusted", dir + "/trusted"])
        #expect(ok.status == 0 && ok.stdout.contains("valid, and"), "\(ok.stdout)\(ok.stderr)")

        // Another key is not trusted; a changed report is not the certified one; a revoked id is refused.
        let other = try await CityCertBinary.run(["keygen", "--out", dir + "/other"])
        #expect(other.status == 0)
        let untrusted = try await CityCertBinary.run(["verify", dir + "/r.cert.json", "--key", dir + "/other.pub"])
        #expect(untrusted.status == 1 && untrusted.stdout.contains("signed by a key that is not trusted"))
        try (try String(contentsOfFile: dir + "/r.json", encoding: .utf8) + " ").write(
            toFile: dir + "/r2.json", atomically: true, encoding: .utf8)
        let changed = try await CityCertBinary.run([
            "verify", dir + "/r.cert.json", dir + "/r2.json", "--key", dir + "/board.pub",
        ])
        #expect(changed.status == 1 && changed.stdout.contains("the report is not the certified one"))
        try "# revoked\n\(cert["id"]?.stringValue ?? "")\n".write(toFile: dir + "/revoked.txt", atomically: true, encoding: .utf8)
        let revoked = try await CityCertBinary.run([
            "verify", dir + "/r.cert.json", "--key", dir + "/board.pub", "--revoked", dir + "/revoked.txt",
        ])
        #expect(revoked.status == 1 && revoked.stdout.contains("revoked: urn:uuid:"))
        let noKey = try await CityCertBinary.run(["verify", dir + "/r.cert.json"])
        #expect(noKey.status == 2)
        let missing = try await CityCertBinary.run(["verify", dir + "/none.json", "--key", dir + "/board.pub"])
        #expect(missing.status == 2 && missing.stderr.contains("no such file"))
    }
}
