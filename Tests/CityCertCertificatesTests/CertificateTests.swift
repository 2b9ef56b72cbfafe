import CityCertCertificates
import CityCertCore
import CityCertJSON
import Foundation
import Testing

/// Certificates: the eddsa-jcs-2022 cryptosuite against the W3C test vectors, and certificates whose
/// every byte (and every byte of their report) is covered by the verification.
@Suite struct CertificateTests {
    /// W3C Data Integrity EdDSA Cryptosuites v1.0 test vectors (github.com/w3c/vc-di-eddsa, TestVectors/
    /// keyPair.json and TestVectors/eddsa-jcs-2022/{signedJCS.json, docHashJCS.txt}; W3C Software and Document
    /// License): the key pair, the signed credential, and the document hash.
    static let vectorPublic = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    static let vectorSecret = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
    static let vectorSigned = """
        {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
         "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33", "type": ["VerifiableCredential", "AlumniCredential"],
         "name": "Alumni Credential", "description": "A minimum viable example of an Alumni Credential.",
         "issuer": "https://vc.example/issuers/5678", "validFrom": "2023-01-01T00:00:00Z",
         "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
         "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": "2023-02-24T23:36:38Z",
          "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
          "proofPurpose": "assertionMethod",
          "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
          "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"}}
        """
    /// TestVectors/eddsa-jcs-2022/docHashJCS.txt: SHA-256 of the JCS form of the credential without its proof.
    /// (The proof-options hash file in the stored copy belongs to another revision of the proof options than
    /// signedJCS.json, so it is not used; the signature, which covers both hashes, is.)
    static let vectorDocumentHash = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"

    @Test func w3cTestVectorVerifiesAndSigningReproducesIt() throws {
        let signed = try JSONValue.parse(bytes: Array(Self.vectorSigned.utf8))
        let publicKey = try #require(Multikey.decodePublic(Self.vectorPublic))
        let secretKey = try #require(Multikey.decodeSecret(Self.vectorSecret))
        #expect(throws: Never.self) { try EddsaJcs2022.verify(signed, publicKey: publicKey) }

        // The document's half of the hashed data (SHA-256 of its JCS form) is the vector's.
        guard case .object(let object) = signed, case .object(let proof)? = signed["proof"] else {
            Issue.record("not an object")
            return
        }
        let document = JSONValue.object(object.entries.filter { $0.key != "proof" }.map { ($0.key, $0.value) })
        let options = JSONValue.object(proof.entries.filter { $0.key != "proofValue" }.map { ($0.key, $0.value) })
        let hash = EddsaJcs2022.hashData(document: document, proofOptions: options)
        #expect(hash.count == 64)
        #expect(hash.suffix(32).map { String(format: "%02x", $0) }.joined() == Self.vectorDocumentHash)

        // Ed25519 is deterministic (RFC 8032): signing the unsigned credential gives the vector's proofValue.
        let again = try EddsaJcs2022.sign(
            document, secretKey: secretKey, verificationMethod: "https://vc.example/issuers/5678#" + Self.vectorPublic,
            created: "2023-02-24T23:36:38Z")
        #expect(again["proof"]?["proofValue"] == signed["proof"]?["proofValue"])

        // One changed character of the credential and the vector no longer verifies.
        let tampered = try JSONValue.parse(
            bytes: Array(
                Self.vectorSigned.replacingOccurrences(of: "The School of Examples", with: "The School of Exampler").utf8))
        #expect(throws: EddsaJcs2022.Failure.self) { try EddsaJcs2022.verify(tampered, publicKey: publicKey) }
    }

    @Test func base58AndMultikeyRoundTrip() throws {
        for bytes: [UInt8] in [[], [0], [0, 0, 1], [0xff], Array(0..<64), [UInt8](repeating: 0xff, count: 40)] {
            #expect(Base58.decode(Base58.encode(bytes)) == bytes)
        }
        #expect(Base58.decode("0OIl") == nil, "characters outside the alphabet")
        let secret = try #require(Multikey.decodeSecret(Self.vectorSecret))
        #expect(Multikey.encodeSecret(secret) == Self.vectorSecret)
        #expect(Multikey.decodePublic(Self.vectorSecret) == nil, "a secret key is not a public key")
        let keyFile = """
            {"publicKeyMultibase": "\(Self.vectorPublic)", "secretKeyMultibase": "\(Self.vectorSecret)"}
            """
        #expect(try Certificates.readKey(Array(keyFile.utf8)).publicMultibase == Self.vectorPublic)
        let mismatched = """
            {"publicKeyMultibase": "\(Certificates.generateKey().publicMultibase)", "secretKeyMultibase": "\(Self.vectorSecret)"}
            """
        #expect(throws: Certificates.Failure.self) { try Certificates.readKey(Array(mismatched.utf8)) }
    }

    static let report = Array(
        """
        {"format": "citycert-report/1", "tool": {"name": "citycert", "version": "0.1.0"},
         "profile": {"id": "p", "title": "P", "version": "1", "standard": {"name": "S", "version": "1"}},
         "target": {"base_url": "https://cse.example"}, "verdict": "CONFORMANT", "partial": false, "failOn": "MUST",
         "fingerprint": {"digest": "\(String(repeating: "ab", count: 32))"},
         "summary": {"total": {"passed": 2, "failed": 0, "error": 0, "skipped": 0, "not-applicable": 0, "waived": 1}},
         "requirements": [{"id": "R-1", "outcome": "passed"}, {"id": "R-2", "outcome": "waived"}]}
        """.utf8)

    /// Flipping any one bit of any byte of the certificate, or of the report, is detected.
    @Test func everyByteOfTheCertificateAndTheReportIsCovered() throws {
        let pair = Certificates.generateKey()
        let secret = try #require(Multikey.decodeSecret(pair.secretMultibase))
        let now = 1_800_000_000.0
        let cert = try Certificates.sign(
            report: Self.report, secretKey: secret, publicMultibase: pair.publicMultibase, now: now, validDays: 30)
        #expect(cert["credentialSubject"]?["id"] == .string("https://cse.example"))
        #expect(cert["credentialSubject"]?["waived"] == .array([.string("R-2")]))
        let bytes = JSONSerializer.bytes(cert, style: .pretty)
        let check = { (c: [UInt8], r: [UInt8]) in
            Certificates.verify(certificate: c, trusted: [pair.publicMultibase], report: r, revoked: [], now: now + 60)
        }
        #expect(check(bytes, Self.report).isEmpty)
        var undetected: [Int] = []
        for i in bytes.indices {
            var flipped = bytes
            flipped[i] ^= 0x01
            if check(flipped, Self.report).isEmpty { undetected.append(i) }
        }
        #expect(undetected.isEmpty, "flips not detected at \(undetected.prefix(10)) of \(bytes.count) bytes")
        for i in Self.report.indices {
            var flipped = Self.report
            flipped[i] ^= 0x01
            #expect(!check(bytes, flipped).isEmpty, "report byte \(i)")
        }
    }

    /// What a certificate must not be made from or accept: repeated member names (the signature would
    /// cover the last, a reader sees the first), a verdict its requirements do not support, a partial run
    /// without --allow-partial, a credential in the target URL, and base58 text long enough to take hours.
    @Test func hostileReportsAndCertificates() throws {
        let pair = Certificates.generateKey()
        let secret = try #require(Multikey.decodeSecret(pair.secretMultibase))
        let now = 1_800_000_000.0
        func sign(_ text: String, allowPartial: Bool = false) throws -> JSONValue {
            try Certificates.sign(
                report: Array(text.utf8), secretKey: secret, publicMultibase: pair.publicMultibase, now: now, validDays: 1,
                allowPartial: allowPartial)
        }
        let base = String(decoding: Self.report, as: UTF8.self)
        let twice = base.replacingOccurrences(
            of: "\"verdict\": \"CONFORMANT\"", with: "\"verdict\": \"NOT CONFORMANT\", \"verdict\": \"CONFORMANT\"")
        #expect(throws: Certificates.Failure.self) { try sign(twice) }
        let edited = base.replacingOccurrences(
            of: "{\"id\": \"R-1\", \"outcome\": \"passed\"}",
            with: "{\"id\": \"R-1\", \"level\": \"MUST\", \"outcome\": \"failed\"}")
        #expect(edited != base)
        #expect(throws: Certificates.Failure.self) { try sign(edited) }
        let partial = base.replacingOccurrences(of: "\"partial\": false", with: "\"partial\": true")
        #expect(throws: Certificates.Failure.self) { try sign(partial) }
        #expect(try sign(partial, allowPartial: true)["credentialSubject"]?["partial"] == .bool(true))
        let userinfo = base.replacingOccurrences(
            of: "https://cse.example", with: "https://user:pw@cse.example:8443/base?token=x#f")
        #expect(try sign(userinfo)["credentialSubject"]?["id"] == .string("https://cse.example:8443/base"))

        // A signed certificate with a member repeated ahead of the signed one is refused.
        let cert = JSONSerializer.string(try sign(base))
        let shadowed = cert.replacingOccurrences(
            of: "\"verdict\":\"CONFORMANT\"", with: "\"verdict\":\"NOT CONFORMANT\",\"verdict\":\"CONFORMANT\"")
        #expect(shadowed != cert)
        let problems = Certificates.verify(
            certificate: Array(shadowed.utf8), trusted: [pair.publicMultibase], report: nil, revoked: [], now: now)
        #expect(problems.first?.contains("without repeated member names") == true, "\(problems)")

        // A 200,000-character proofValue is refused at once (base58 decoding is quadratic).
        let long = cert.replacingOccurrences(
            of: "\"proofValue\":\"z", with: "\"proofValue\":\"z" + String(repeating: "2", count: 200_000))
        let start = ContinuousClock.now
        #expect(
            !Certificates.verify(
                certificate: Array(long.utf8), trusted: [pair.publicMultibase], report: nil, revoked: [], now: now
            ).isEmpty)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// The certificate states each conformance class's verdict, and a class verdict its requirements do not
    /// support (a failed MUST in a CONFORMANT class, a failing class called NOT APPLICABLE) is not certified.
    @Test func classVerdictsAreCertifiedOnlyWhenTheirRequirementsSupportThem() throws {
        let pair = Certificates.generateKey()
        let secret = try #require(Multikey.decodeSecret(pair.secretMultibase))
        func sign(_ text: String) throws -> JSONValue {
            try Certificates.sign(
                report: Array(text.utf8), secretKey: secret, publicMultibase: pair.publicMultibase, now: 1_800_000_000,
                validDays: 1)
        }
        let report = """
            {"format": "citycert-report/1", "tool": {"name": "citycert", "version": "0.1.0"},
             "profile": {"id": "p", "title": "P", "version": "1", "standard": {"name": "S", "version": "1"}},
             "target": {"base_url": "https://sta.example"}, "verdict": "NOT CONFORMANT", "partial": false, "failOn": "MUST",
             "fingerprint": {"digest": "\(String(repeating: "cd", count: 32))"},
             "summary": {"total": {"passed": 1, "failed": 1, "error": 0, "skipped": 0, "not-applicable": 1, "waived": 0}},
             "classes": [
               {"id": "core", "uri": "http://x/core", "verdict": "CONFORMANT", "partial": false, "applies": "always", "requirements": ["A"]},
               {"id": "cud", "uri": "http://x/cud", "verdict": "NOT CONFORMANT", "partial": false, "applies": "declared", "requirements": ["B"]},
               {"id": "batch", "uri": null, "verdict": "NOT APPLICABLE", "partial": false, "applies": "not-declared", "requirements": ["C"]}],
             "notRun": [],
             "requirements": [{"id": "A", "level": "MUST", "classes": ["core"], "outcome": "passed"},
               {"id": "B", "level": "MUST", "classes": ["cud"], "outcome": "failed"},
               {"id": "C", "level": "MUST", "classes": ["batch"], "outcome": "not-applicable"}]}
            """
        let classes = try sign(report)["credentialSubject"]?["classes"]?.arrayValue ?? []
        #expect(classes.map { $0["verdict"]?.stringValue ?? "" } == ["CONFORMANT", "NOT CONFORMANT", "NOT APPLICABLE"])
        #expect(classes.first?["uri"] == .string("http://x/core"))
        let claimed = report.replacingOccurrences(
            of: #""id": "cud", "uri": "http://x/cud", "verdict": "NOT CONFORMANT""#,
            with: #""id": "cud", "uri": "http://x/cud", "verdict": "CONFORMANT""#)
        let hidden = report.replacingOccurrences(
            of: #""verdict": "NOT CONFORMANT", "partial": false, "applies": "declared""#,
            with: #""verdict": "NOT APPLICABLE", "partial": false, "applies": "declared""#)
        // Consistent-looking edits: the failing requirement moved out of its class's list (and its own
        // list), a made-up class, a partial flag flipped, an undeclared class called CONFORMANT.
        let shrunk = claimed.replacingOccurrences(
            of: #""applies": "declared", "requirements": ["B"]"#, with: #""applies": "declared", "requirements": ["A"]"#)
        let invented = report.replacingOccurrences(
            of: #"{"id": "core", "uri""#,
            with:
                #"{"id": "extra", "uri": "http://x/extra", "verdict": "CONFORMANT", "partial": false, "applies": "always", "requirements": ["A"]}, {"id": "core", "uri""#
        )
        let flipped = report.replacingOccurrences(
            of: #""verdict": "CONFORMANT", "partial": false"#, with: #""verdict": "CONFORMANT", "partial": true"#)
        let undeclared = report.replacingOccurrences(
            of: #""verdict": "NOT APPLICABLE", "partial": false, "applies": "not-declared""#,
            with: #""verdict": "CONFORMANT", "partial": false, "applies": "not-declared""#)
        let interrupted = report.replacingOccurrences(
            of: #""partial": false, "failOn""#, with: #""partial": false, "interrupted": "SIGINT", "failOn""#)
        for edited in [claimed, hidden, shrunk, invented, flipped, undeclared, interrupted] {
            #expect(edited != report)
            #expect(throws: Certificates.Failure.self) { try sign(edited) }
        }
    }

    @Test func trustValidityAndRevocation() throws {
        let pair = Certificates.generateKey()
        let other = Certificates.generateKey()
        let secret = try #require(Multikey.decodeSecret(pair.secretMultibase))
        let now = 1_800_000_000.0
        let cert = try Certificates.sign(
            report: Self.report, secretKey: secret, publicMultibase: pair.publicMultibase, now: now, validDays: 30)
        let bytes = JSONSerializer.bytes(cert)
        func problems(trusted: [String], at t: Double, revoked: Set<String> = []) -> [String] {
            Certificates.verify(certificate: bytes, trusted: trusted, report: nil, revoked: revoked, now: t)
        }
        #expect(problems(trusted: [pair.publicMultibase], at: now).isEmpty)
        #expect(
            problems(trusted: [other.publicMultibase], at: now).contains { $0.hasPrefix("signed by a key that is not trusted") })
        #expect(problems(trusted: [pair.publicMultibase], at: now - 1).contains { $0.hasPrefix("not valid before") })
        #expect(problems(trusted: [pair.publicMultibase], at: now + 30 * 86_400).contains { $0.hasPrefix("expired at") })
        let id = try #require(cert["id"]?.stringValue)
        #expect(problems(trusted: [pair.publicMultibase], at: now, revoked: [id]) == ["revoked: \(id)"])
        #expect(throws: Certificates.Failure.self) {
            try Certificates.credential(
                report: Array("{\"a\": 1}".utf8), issuer: pair.publicMultibase, now: now, validDays: 1, id: "x")
        }
    }
}
