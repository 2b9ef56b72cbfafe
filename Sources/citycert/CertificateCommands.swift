import ArgumentParser
import CityCertCertificates
import CityCertJSON
import CityCertReports
import Foundation

/// Reads a whole file (at most `limit` bytes), or says why not.
func readFile(_ path: String, what: String, limit: Int = 64 << 20) throws -> [UInt8] {
    var st = stat()
    guard stat(path, &st) == 0 else { throw ValidationError("\(what) \(path): no such file") }
    guard st.st_mode & S_IFMT == S_IFREG else { throw ValidationError("\(what) \(path): not a regular file") }
    guard st.st_size <= limit else { throw ValidationError("\(what) \(path): larger than \(limit >> 20) MiB") }
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(what) \(path): cannot be read") }
    return Array(data)
}

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key pair for signing certificates: PREFIX.key (private, mode 0600) and PREFIX.pub.")

    @Option(name: .customLong("out"), help: "Path prefix of the two files (default: citycert).") var prefix = "citycert"

    func run() throws {
        let pair = Certificates.generateKey()
        for path in [prefix + ".key", prefix + ".pub"] where FileManager.default.fileExists(atPath: path) {
            warn("error: \(path) exists; keygen never overwrites a key")
            throw ExitCode(2)
        }
        // The private file is created with mode 0600 before anything is written to it.
        let fd = open(prefix + ".key", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            warn("error: cannot create \(prefix).key: \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        let secret = Certificates.keyFile(pair, secret: true)
        let written = secret.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == secret.count else {
            unlink(prefix + ".key")
            warn("error: cannot write \(prefix).key")
            throw ExitCode(3)
        }
        // Created exclusively too: a file that appeared since the check is never replaced.
        let pubFD = open(prefix + ".pub", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        let publicFile = Certificates.keyFile(pair, secret: false)
        let pubWritten = pubFD < 0 ? -1 : publicFile.withUnsafeBytes { write(pubFD, $0.baseAddress, $0.count) }
        if pubFD >= 0 { close(pubFD) }
        guard pubWritten == publicFile.count else {
            unlink(prefix + ".key")
            if pubFD >= 0 { unlink(prefix + ".pub") }
            warn("error: cannot create \(prefix).pub")
            throw ExitCode(3)
        }
        print("\(prefix).key (private) and \(prefix).pub: \(Multikey.did(pair.publicMultibase))")
    }
}

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Certify a JSON report: a W3C Verifiable Credential 2.0 with an eddsa-jcs-2022 proof.",
        discussion:
            "The certificate names the target, the profile, the verdict, the verdict of each conformance class, the counts, the waived requirements, the fingerprint and the report's SHA-256."
    )

    @Argument(help: "The JSON report (--report-json) to certify.") var report: String
    @Option(name: .customLong("key"), help: "The private key file (citycert keygen).") var key: String
    @Option(name: .customLong("out"), help: "Where to write the certificate (default: REPORT with .cert.json).") var out: String?
    @Option(name: .customLong("valid-days"), help: "Days the certificate is valid (default 365).") var validDays = 365
    @Flag(name: .customLong("allow-partial"), help: "Certify a partial run (--filter, --read-only): its verdict covers what ran.")
    var allowPartial = false
    @Option(name: .customLong("clock"), help: .hidden) var fixedClock: Double?

    func validate() throws {
        guard (1...3650).contains(validDays) else { throw ValidationError("--valid-days must be between 1 and 3650") }
        if let fixedClock, !fixedClock.isFinite || fixedClock < 0 { throw ValidationError("--clock must be a time (seconds)") }
    }

    func run() throws {
        let (pub, secret) = try loadKey(key)
        guard let secret else {
            warn("error: \(key) holds no secret key (give the .key file, not the .pub)")
            throw ExitCode(2)
        }
        // A private key others can read is no longer private: say so rather than sign with it.
        var st = stat()
        if stat(key, &st) == 0, st.st_mode & 0o077 != 0 {
            warn("error: \(key) can be read by others (mode \(String(st.st_mode & 0o777, radix: 8))); chmod 600 it first")
            throw ExitCode(2)
        }
        let reportBytes = try readFile(report, what: "report")
        let certificate: JSONValue
        do {
            certificate = try Certificates.sign(
                report: reportBytes, secretKey: secret, publicMultibase: pub, now: fixedClock ?? Date().timeIntervalSince1970,
                validDays: validDays, allowPartial: allowPartial)
        } catch {
            warn("error: \(report): \(error)")
            throw ExitCode(2)
        }
        let path = out ?? (report.hasSuffix(".json") ? String(report.dropLast(5)) : report) + ".cert.json"
        // The certificate never replaces the key or the report it was made from.
        let target = RealPath.of(path) ?? URL(fileURLWithPath: path).standardizedFileURL.path
        for (what, input) in [("the key", key), ("the report", report)] where RealPath.of(input) == target {
            warn("error: --out \(path) is \(what); write the certificate elsewhere")
            throw ExitCode(2)
        }
        do {
            try AtomicFile.write(JSONSerializer.bytes(certificate, style: .pretty) + [0x0A], to: path)
        } catch {
            warn("error: \(error)")
            throw ExitCode(3)
        }
        let verdict = certificate["credentialSubject"]?["verdict"]?.stringValue ?? "?"
        print(ConsoleReport.printable("\(path): certificate for \(report) (\(verdict)), signed by \(Multikey.did(pub))"))
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a certificate: its proof by a trusted key, its validity period, revocation and, given it, the report.",
        discussion: "Exit codes: 0 valid; 1 not valid (each reason is printed); 2 usage (a file that cannot be read).")

    @Argument(help: "The certificate (citycert sign).") var certificate: String
    @Argument(help: "The report it certifies (optional): checked byte for byte.") var report: String?
    @Option(name: .customLong("key"), help: "A trusted public key file (repeatable).") var keys: [String] = []
    @Option(name: .customLong("trusted"), help: "A folder of trusted public key files (*.pub).") var trustedFolder: String?
    @Option(name: .customLong("revoked"), help: "A revocation list: one certificate id per line.") var revoked: String?
    @Option(name: .customLong("clock"), help: .hidden) var fixedClock: Double?

    func validate() throws {
        if let fixedClock, !fixedClock.isFinite || fixedClock < 0 { throw ValidationError("--clock must be a time (seconds)") }
        guard !keys.isEmpty || trustedFolder != nil else {
            throw ValidationError("name the trusted keys: --key FILE (repeatable) or --trusted FOLDER")
        }
    }

    func run() throws {
        var trusted: [String] = []
        for k in keys { trusted.append(try loadKey(k).publicMultibase) }
        if let folder = trustedFolder {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                throw ValidationError("--trusted \(folder): not a readable folder")
            }
            for name in names.sorted() where name.hasSuffix(".pub") {
                trusted.append(try loadKey((folder as NSString).appendingPathComponent(name)).publicMultibase)
            }
            guard !trusted.isEmpty else { throw ValidationError("--trusted \(folder): no .pub key file in it") }
        }
        var revokedIDs = Set<String>()
        if let revoked {
            let text = String(decoding: try readFile(revoked, what: "revocation list", limit: 16 << 20), as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) {
                let id = line.trimmingCharacters(in: .whitespaces)
                if !id.isEmpty && !id.hasPrefix("#") { revokedIDs.insert(id) }
            }
        }
        let cert = try readFile(certificate, what: "certificate", limit: 1 << 20)
        let reportBytes = try report.map { try readFile($0, what: "report") }
        let problems = Certificates.verify(
            certificate: cert, trusted: trusted, report: reportBytes, revoked: revokedIDs,
            now: fixedClock ?? Date().timeIntervalSince1970)
        if problems.isEmpty {
            print("\(certificate): valid" + (report.map { ", and \($0) is the certified report" } ?? ""))
            // What it certifies, as the certificate says it (escaped: it is the signer's text).
            if let c = try? JSONValue.parse(bytes: cert), let s = c["credentialSubject"] {
                let profile = "\(s["profile"]?["id"]?.stringValue ?? "?") \(s["profile"]?["version"]?.stringValue ?? "?")"
                let partial = s["partial"] == .bool(true) ? " (PARTIAL run)" : ""
                print(ConsoleReport.printable("  subject: \(s["id"]?.stringValue ?? "?")"))
                print(ConsoleReport.printable("  profile: \(profile); verdict: \(s["verdict"]?.stringValue ?? "?")\(partial)"))
                for k in s["classes"]?.arrayValue ?? [] {
                    let kp = k["partial"] == .bool(true) ? " (partial)" : ""
                    print(
                        ConsoleReport.printable(
                            "  class \(k["id"]?.stringValue ?? "?"): \(k["verdict"]?.stringValue ?? "?")\(kp)"))
                }
                print(
                    ConsoleReport.printable(
                        "  issuer: \(c["issuer"]?.stringValue ?? "?"); valid until \(c["validUntil"]?.stringValue ?? "-")"))
            }
            return
        }
        print("\(certificate): NOT VALID")
        for p in problems { print("  " + ConsoleReport.printable(p)) }
        throw ExitCode(1)
    }
}

func loadKey(_ path: String) throws -> (publicMultibase: String, secret: [UInt8]?) {
    do {
        return try Certificates.readKey(try readFile(path, what: "key", limit: 64 << 10))
    } catch let e as Certificates.Failure {
        throw ValidationError("\(path): \(e.description)")
    }
}
