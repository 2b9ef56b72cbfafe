import Synchronization

/// What a redirect may do: citycert never follows one unless the step allows it.
public enum RedirectPolicy: String, Sendable, Codable {
    case none
    /// Follow only to the same scheme, host and port.
    case sameOrigin = "same-origin"
    case any
}

/// TLS and network settings of a run (CLI flags), applied to every request.
public struct TransportSettings: Sendable, Equatable {
    /// When raised, transfers in flight end at once (libcurl's progress callback, within a second) with
    /// an `interrupted` error: a second Ctrl-C does not wait for a slow server.
    public var abort: AbortFlag?
    public var insecure = false
    public var caBundle: String?
    public var clientCertificate: String?
    public var clientKey: String?
    public var proxy: String?
    public var maxBodyBytes = 16 << 20
    public var maxRedirects = 10
    public init() {}
}

/// A flag that ends transfers in flight once raised (compared by identity).
public final class AbortFlag: Sendable, Equatable {
    private let raised = Mutex(false)
    public init() {}
    public func raise() { raised.withLock { $0 = true } }
    public var isRaised: Bool { raised.withLock { $0 } }
    public static func == (a: AbortFlag, b: AbortFlag) -> Bool { a === b }
}

/// An HTTP request as the runner builds it.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var connectTimeout: Double
    public var totalTimeout: Double
    public var redirects: RedirectPolicy
    /// Header names (lowercased) the step lets follow a redirect to another origin, besides the content
    /// negotiation headers; a credential header is never among them (the profile loader refuses it).
    public var keepAcrossOrigins: Set<String> = []

    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        connectTimeout: Double = 10, totalTimeout: Double = 30, redirects: RedirectPolicy = .none,
        keepAcrossOrigins: Set<String> = []
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.redirects = redirects
        self.keepAcrossOrigins = keepAcrossOrigins
    }

    public static func == (a: HTTPRequest, b: HTTPRequest) -> Bool {
        a.method == b.method && a.url == b.url && a.headers.elementsEqual(b.headers, by: { $0 == $1 }) && a.body == b.body
    }
}

/// Per-exchange timings in seconds from the start of the transfer (libcurl's phases).
public struct HTTPTimings: Sendable, Equatable, Codable {
    public var dns: Double
    public var connect: Double
    public var tls: Double
    public var firstByte: Double
    public var total: Double

    public init(dns: Double = 0, connect: Double = 0, tls: Double = 0, firstByte: Double = 0, total: Double = 0) {
        self.dns = dns
        self.connect = connect
        self.tls = tls
        self.firstByte = firstByte
        self.total = total
    }
}

/// An HTTP response with its timing and protocol facts.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var httpVersion: String
    public var timings: HTTPTimings
    /// The URL that answered (after any followed redirects).
    public var effectiveURL: String

    public init(
        status: Int, headers: [(name: String, value: String)], body: [UInt8], httpVersion: String, timings: HTTPTimings,
        effectiveURL: String
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.httpVersion = httpVersion
        self.timings = timings
        self.effectiveURL = effectiveURL
    }

    /// The first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    public func headers(named name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name.lowercased() == lower }.map(\.value)
    }
}

/// Why an exchange did not produce a response.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case connect, timeout, tls, bodyTooLarge = "body-too-large", redirectRefused = "redirect-refused", protocolError =
            "protocol", invalidRequest = "invalid-request", interrupted, other
    }
    public let kind: Kind
    public let message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// Sends HTTP requests. The runner depends on this protocol only; `CityCertCurl` implements it.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
}
