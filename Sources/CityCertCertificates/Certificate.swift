import CityCertCore
public import CityCertJSON
import Crypto
import Foundation

/// Signed conformance certificates: a W3C Verifiable Credential 2.0 whose subject is the tested target,
/// stating the profile, the verdict, the counts, the waived requirements, the fingerprint and the SHA-256
/// of the JSON report it was made from, secured with an `eddsa-jcs-2022` Data Integrity proof by a
/// `did:key` Ed25519 issuer. Verification checks the proof against trusted keys, the validity period, a
/// revocation list and, given the report, that the report is the one certified (byte for byte).
public enum Certificates {
    public struct KeyPair: Sendable {
        public let publicMultibase: String
        public let secretMultibase: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }

    public static func generateKey() -> KeyPair {
        let key = Curve25519.Signing.PrivateKey()
        return KeyPair(
            publicMultibase: Multikey.encodePublic(Array(key.publicKey.rawRepresentation)),
            secretMultibase: Multikey.encodeSecret(Array(key.rawRepresentation)))
    }

    /// A key file: `{"type": "Multikey", "id": did#key, "controller": did, "publicKeyMultibase": …}` and, in
    /// the private file only, `secretKeyMultibase`.
    public static func keyFile(_ pair: KeyPair, secret: Bool) -> [UInt8] {
        var members: [(String, JSONValue)] = [
            ("type", .string("Multikey")), ("id", .string(Multikey.verificationMethod(pair.publicMultibase))),
            ("controller", .string(Multikey.did(pair.publicMultibase))), ("publicKeyMultibase", .string(pair.publicMultibase)),
        ]
        if secret { members.append(("secretKeyMultibase", .string(pair.secretMultibase))) }
        return JSONSerializer.bytes(.object(members), style: .pretty) + [0x0A]
    }

    /// The keys of a key file: its public key, and its secret key when it holds one.
    /// Parses a JSON document that may be signed or certified: duplicate member names are refused (JCS
    /// needs I-JSON; a reader would see the first, the signature covers the last).
    static func parseStrict(_ bytes: [UInt8]) -> JSONValue? {
        guard let doc = try? JSONDocument(bytes: bytes), doc.duplicateKeys.isEmpty else { return nil }
        return doc.root
    }

    public static func readKey(_ bytes: [UInt8]) throws(Failure) -> (publicMultibase: String, secret: [UInt8]?) {
        guard let value = parseStrict(bytes), case .string(let pub)? = value["publicKeyMultibase"],
            Multikey.decodePublic(pub) != nil
        else { throw Failure("not a citycert key file (a JSON object with an Ed25519 publicKeyMultibase)") }
        guard case .string(let s)? = value["secretKeyMultibase"] else { return (pub, nil) }
        guard let secret = Multikey.decodeSecret(s) else { throw Failure("the secretKeyMultibase is not an Ed25519 secret key") }
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: secret),
            Multikey.encodePublic(Array(key.publicKey.rawRepresentation)) == pub
        else { throw Failure("the secret key does not belong to the public key of the file") }
        return (pub, secret)
    }

    public static func iso(_ seconds: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
    }

    static func parseISO(_ text: String) -> Double? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)?.timeIntervalSince1970
    }

    /// The unsigned credential for a JSON report (`citycert-report/1`).
    public static func credential(
        report bytes: [UInt8], issuer publicMultibase: String, now: Double, validDays: Int, id: String, allowPartial: Bool = false
    ) throws(Failure) -> JSONValue {
        guard let report = parseStrict(bytes), report["format"] == .string("citycert-report/1") else {
            throw Failure(
                "not a citycert JSON report (format citycert-report/1, no member name twice): certify the file --report-json wrote"
            )
        }
        guard case .string(let verdict)? = report["verdict"], verdict == "CONFORMANT" || verdict == "NOT CONFORMANT",
            let profile = report["profile"]
        else { throw Failure("the report has no verdict (CONFORMANT or NOT CONFORMANT) or no profile") }
        // The verdict must follow from the requirements (a hand-edited verdict is not certified): CONFORMANT
        // needs something passed and no MUST that failed, erred or was skipped by its needs.
        let requirements = report["requirements"]?.arrayValue ?? []
        let blocking = requirements.filter { r in
            r["level"] == .string("MUST") && r["notRunByOption"] != .bool(true)
                && [JSONValue.string("failed"), .string("error"), .string("skipped")].contains(r["outcome"] ?? .null)
        }
        let passed = requirements.contains { $0["outcome"] == .string("passed") }
        if report["partial"] == .bool(true) && !allowPartial {
            throw Failure(
                "the report is of a partial run (--filter or --read-only kept requirements from running): its verdict covers only what ran; certify it with --allow-partial"
            )
        }
        if let signal = report["interrupted"]?.stringValue {
            throw Failure(
                "the run was interrupted (\(signal)): it decided nothing; run it again to the end, then certify that report")
        }
        if verdict == "CONFORMANT" && (!blocking.isEmpty || !passed || report["interrupted"]?.stringValue != nil) {
            throw Failure("the report says CONFORMANT but its requirements do not (edited?): not certified")
        }
        let classes = try classVerdicts(report, requirements: requirements)
        let fingerprint = report["fingerprint"]?["digest"]?.stringValue
        let subject: String
        if case .string(let base)? = report["target"]?["base_url"], let url = URLComponents(string: base),
            url.scheme == "http" || url.scheme == "https", url.host != nil
        {
            // The service, not how it was reached: no user information, query or fragment (a credential
            // in the URL must not be signed into a certificate).
            var clean = URLComponents()
            clean.scheme = url.scheme
            clean.host = url.host
            clean.port = url.port
            clean.path = url.path
            subject = clean.string ?? "urn:citycert:fingerprint:sha256:" + (fingerprint ?? SHA256.hex(bytes))
        } else {
            subject = "urn:citycert:fingerprint:sha256:" + (fingerprint ?? SHA256.hex(bytes))
        }
        var waived: [JSONValue] = []
        for r in report["requirements"]?.arrayValue ?? [] where r["outcome"] == .string("waived") {
            if let id = r["id"] { waived.append(id) }
        }
        let profileInfo: [(String, JSONValue)] = [
            ("id", profile["id"] ?? .null), ("version", profile["version"] ?? .null), ("title", profile["title"] ?? .null),
            ("standard", profile["standard"] ?? .null),
        ]
        let reportInfo: [(String, JSONValue)] = [
            ("format", .string("citycert-report/1")), ("sha256", .string(SHA256.hex(bytes))),
        ]
        var members: [(String, JSONValue)] = [("id", .string(subject)), ("profile", .object(profileInfo))]
        members.append(("verdict", .string(verdict)))
        members.append(("partial", report["partial"] ?? .null))
        members.append(("failOn", report["failOn"] ?? .null))
        members.append(("summary", report["summary"]?["total"] ?? .null))
        members.append(("waived", .array(waived)))
        if !classes.isEmpty { members.append(("classes", .array(classes))) }
        members.append(("fingerprint", fingerprint.map(JSONValue.string) ?? .null))
        members.append(("report", .object(reportInfo)))
        members.append(("tool", report["tool"] ?? .null))
        let credentialSubject = JSONValue.object(members)
        let name =
            "citycert conformance certificate: \(profile["id"]?.stringValue ?? "?") \(profile["version"]?.stringValue ?? "?")"
        return .object([
            ("@context", .array([.string("https://www.w3.org/ns/credentials/v2")])),
            ("id", .string(id)),
            ("type", .array([.string("VerifiableCredential"), .string("CityCertConformanceCertificate")])),
            ("name", .string(name)),
            ("issuer", .string(Multikey.did(publicMultibase))),
            ("validFrom", .string(iso(now))),
            ("validUntil", .string(iso(now + Double(validDays) * 86_400))),
            ("credentialSubject", credentialSubject),
        ])
    }

    /// The report's conformance classes as the certificate states them (id, uri, verdict, partial). Each
    /// is checked against the requirements before it is certified: its list of requirements is exactly
    /// those that name it (apart from requirements options left out), every requirement names a class,
    /// and its verdict and partial flag are recomputed by the rule of `RunReport.verdict(of:)` (a report
    /// edited by hand is not certified).
    static func classVerdicts(_ report: JSONValue, requirements: [JSONValue]) throws(Failure) -> [JSONValue] {
        let classes = report["classes"]?.arrayValue ?? []
        guard !classes.isEmpty else { return [] }
        func edited(_ why: String) -> Failure {
            Failure("the report's conformance classes do not follow from its requirements (\(why)): not certified")
        }
        let ids = classes.compactMap { $0["id"]?.stringValue }
        guard ids.count == classes.count, Set(ids).count == ids.count else { throw edited("a class without an id, or twice") }
        var byID: [String: JSONValue] = [:]
        for r in requirements {
            guard let id = r["id"]?.stringValue, byID[id] == nil else { throw edited("a requirement without an id, or twice") }
            let named = (r["classes"]?.arrayValue ?? []).compactMap(\.stringValue)
            guard !named.isEmpty, Set(named).isSubset(of: ids) else {
                throw edited("requirement \(id) names no class, or an unknown one")
            }
            byID[id] = r
        }
        let notRun = Set((report["notRun"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
        let interrupted = report["interrupted"]?.stringValue != nil
        var out: [JSONValue] = []
        for c in classes {
            let id = c["id"]?.stringValue ?? ""
            let listed = Set((c["requirements"]?.arrayValue ?? []).compactMap(\.stringValue))
            let naming = Set(byID.filter { ($0.value["classes"]?.arrayValue ?? []).contains(.string(id)) }.keys)
            // Listed but not in the report: only requirements options left out of the run.
            guard naming.isSubset(of: listed), listed.subtracting(naming).isSubset(of: notRun) else {
                throw edited("class \(id)'s requirements are not those that name it")
            }
            let mine = listed.compactMap { byID[$0] }
            func excluded(_ r: JSONValue) -> Bool { r["notRunByOption"] == .bool(true) }
            func outcome(_ r: JSONValue) -> String { r["outcome"]?.stringValue ?? "" }
            let verdict: String
            if c["applies"] == .string("not-declared") {
                verdict = "NOT APPLICABLE"
            } else if mine.allSatisfy(excluded)
                || (mine.count < listed.count && mine.allSatisfy { outcome($0) == "not-applicable" || excluded($0) })
            {
                verdict = "NOT RUN"
            } else if interrupted {
                verdict = "NOT CONFORMANT"
            } else if mine.allSatisfy({ outcome($0) == "not-applicable" || excluded($0) }) {
                verdict = mine.contains(where: excluded) ? "NOT RUN" : "NOT APPLICABLE"
            } else {
                let blocking = mine.contains { r in
                    r["level"] == .string("MUST") && !excluded(r) && !["passed", "not-applicable", "waived"].contains(outcome(r))
                }
                verdict = !blocking && mine.contains { outcome($0) == "passed" } ? "CONFORMANT" : "NOT CONFORMANT"
            }
            let partial = !listed.isDisjoint(with: notRun)
            guard c["verdict"] == .string(verdict), c["partial"] == .bool(partial) else {
                throw edited(
                    "class \(id) says \(c["verdict"]?.stringValue ?? "-"), its requirements say \(verdict)\(partial ? " (partial)" : "")"
                )
            }
            out.append(
                .object([
                    ("id", .string(id)), ("uri", c["uri"] ?? .null), ("verdict", .string(verdict)), ("partial", .bool(partial)),
                ]))
        }
        return out
    }

    /// The signed certificate for a report.
    public static func sign(
        report: [UInt8], secretKey: [UInt8], publicMultibase: String, now: Double, validDays: Int, allowPartial: Bool = false
    ) throws -> JSONValue {
        let unsigned = try credential(
            report: report, issuer: publicMultibase, now: now, validDays: validDays,
            id: "urn:uuid:" + UUID().uuidString.lowercased(), allowPartial: allowPartial)
        return try EddsaJcs2022.sign(
            unsigned, secretKey: secretKey, verificationMethod: Multikey.verificationMethod(publicMultibase), created: iso(now))
    }

    /// Every reason the certificate is not valid (empty when it is): the proof by one of `trusted` public
    /// keys (multibase) and the issuer it names, the validity period at `now`, the revocation list, and —
    /// given the report — that the report's SHA-256 is the certified one.
    public static func verify(
        certificate bytes: [UInt8], trusted: [String], report: [UInt8]?, revoked: Set<String>, now: Double
    ) -> [String] {
        guard let cert = parseStrict(bytes), case .object = cert else {
            return ["the certificate is not a JSON object without repeated member names (damaged or not a certificate)"]
        }
        var problems: [String] = []
        guard case .string(let method)? = cert["proof"]?["verificationMethod"] else { return ["the certificate has no proof"] }
        let parts = method.split(separator: "#", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "did:key:" + parts[1], let key = Multikey.decodePublic(parts[1]) else {
            return ["the proof's verification method is not a did:key Ed25519 key: \(String(method.prefix(120)))"]
        }
        if !trusted.contains(parts[1]) { problems.append("signed by a key that is not trusted: \(parts[1])") }
        if cert["issuer"] != .string(parts[0]) { problems.append("the issuer is not the key that signed the certificate") }
        do {
            try EddsaJcs2022.verify(cert, publicKey: key)
        } catch {
            problems.append(error.description)
        }
        if case .string(let from)? = cert["validFrom"] {
            if let t = parseISO(from) {
                if now < t { problems.append("not valid before \(from)") }
            } else {
                problems.append("validFrom is not a date-time")
            }
        }
        if case .string(let until)? = cert["validUntil"] {
            if let t = parseISO(until) {
                if now >= t { problems.append("expired at \(until)") }
            } else {
                problems.append("validUntil is not a date-time")
            }
        }
        if case .string(let id)? = cert["id"], revoked.contains(id) { problems.append("revoked: \(id)") }
        if let report {
            let expected = cert["credentialSubject"]?["report"]?["sha256"]?.stringValue
            if expected != SHA256.hex(report) { problems.append("the report is not the certified one (its SHA-256 differs)") }
        }
        return problems
    }
}
