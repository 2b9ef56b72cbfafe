public import Foundation

/// TLS servers for tests (`openssl s_server -www` from Debian's openssl): one with a certificate that
/// verifies against `caBundle`, one whose certificate expired in 2020, one for another host name, and one
/// self-signed (not in the bundle). Each answers a GET with an HTML status page.
public final class TLSTestServers: @unchecked Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case valid, expired, wrongHost = "wrong-host", selfSigned = "self-signed"
    }

    public let folder: String
    /// The test CA's certificate: pass it as the CA bundle (`--cacert`).
    public var caBundle: String { folder + "/ca.pem" }
    public private(set) var ports: [Kind: Int] = [:]
    private var pids: [pid_t] = []

    public func url(_ kind: Kind) -> String { "https://127.0.0.1:\(ports[kind]!)/" }

    public init() throws {
        folder = NSTemporaryDirectory() + "citycert-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/db", withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) throws {
            let r = try Subprocess.run("/usr/bin/openssl", arguments, cwd: folder)
            guard r.status == 0 else { throw ServerError("openssl \(arguments.first ?? "") failed: \(r.stderr)") }
        }
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=citycert-test-ca", "-keyout", "ca.key",
            "-out", "ca.pem",
        ])
        try "".write(toFile: folder + "/db/index.txt", atomically: true, encoding: .utf8)
        try "01\n".write(toFile: folder + "/db/serial", atomically: true, encoding: .utf8)
        try """
        [ca]
        default_ca = d
        [d]
        dir = .
        database = db/index.txt
        new_certs_dir = db
        serial = db/serial
        default_md = sha256
        policy = p
        copy_extensions = copy
        unique_subject = no
        [p]
        commonName = supplied
        """.write(toFile: folder + "/ca.cnf", atomically: true, encoding: .utf8)
        // Certificates signed by the test CA: valid now, expired (2020), or for another name.
        let signed: [(Kind, String, [String])] = [
            (.valid, "subjectAltName=IP:127.0.0.1", ["-days", "2"]),
            (.expired, "subjectAltName=IP:127.0.0.1", ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"]),
            (.wrongHost, "subjectAltName=DNS:wrong.example", ["-days", "2"]),
        ]
        for (kind, san, validity) in signed {
            let name = kind.rawValue
            try openssl([
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(name)", "-addext", san, "-keyout", "\(name).key", "-out",
                "\(name).csr",
            ])
            try openssl(
                [
                    "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "\(name).csr", "-out",
                    "\(name).pem",
                ]
                    + validity)
        }
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
            "subjectAltName=IP:127.0.0.1", "-keyout", "self-signed.key", "-out", "self-signed.pem",
        ])
        for kind in Kind.allCases {
            let port = Int.random(in: 20000...60000)
            ports[kind] = port
            pids.append(
                try Subprocess.spawn(
                    "/usr/bin/openssl",
                    [
                        "s_server", "-accept", "127.0.0.1:\(port)", "-www", "-cert", "\(kind.rawValue).pem", "-key",
                        "\(kind.rawValue).key", "-quiet",
                    ], cwd: folder))
        }
        for (kind, port) in ports where !Subprocess.waitForPort(port) {
            throw ServerError("openssl s_server (\(kind.rawValue)) did not start listening on port \(port)")
        }
    }

    deinit {
        for pid in pids { Subprocess.terminate(pid) }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
