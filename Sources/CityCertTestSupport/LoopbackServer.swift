import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests: keep-alive, one thread per connection, and
/// deliberate misbehaviour (slow bodies, resets, hangs) chosen by the handler per request.
public final class LoopbackServer: @unchecked Sendable {
    public struct Request: Sendable {
        public let method: String
        public let path: String
        public let query: String
        public let headers: [(String, String)]
        public let body: [UInt8]
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    public enum Action: Sendable {
        case respond(status: Int, headers: [(String, String)], body: [UInt8])
        /// Sends the headers, then the body in pieces with a pause between them.
        case slowBody(status: Int, headers: [(String, String)], body: [UInt8], chunk: Int, delay: Double)
        /// Closes the connection with a TCP reset, without answering.
        case reset
        /// Waits, then closes without answering.
        case hang(seconds: Double)
        /// Sends these bytes as they are (not an HTTP response, say), then closes.
        case raw([UInt8])

        public static func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Action {
            .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
        }
        public static func text(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Action {
            .respond(status: status, headers: [("Content-Type", "text/plain")] + headers, body: Array(text.utf8))
        }
    }

    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private let listener: Int32
    private let handler: @Sendable (Request) -> Action
    private let lock = NSLock()
    private var stopped = false
    private var connections: Set<Int32> = []
    private var requestCount = 0
    private var connectionCount = 0

    public var requestsServed: Int { lock.withLock { requestCount } }
    /// TCP connections accepted so far (to observe keep-alive reuse).
    public var connectionsAccepted: Int { lock.withLock { connectionCount } }

    public init(handler: @escaping @Sendable (Request) -> Action) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw ServerError("bind/listen failed")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        listener = fd
        let t = Thread { [self] in acceptLoop() }
        t.name = "loopback-accept"
        t.start()
    }

    deinit { stop() }

    /// Stops accepting and ends open connections. Descriptors are only shut down here, under the lock;
    /// the threads that own them close them, so a number reused by another socket is never touched.
    public func stop() {
        lock.withLock {
            if stopped { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            for c in connections { shutdown(c, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        while true {
            let c = accept(listener, nil, nil)
            if c < 0 {
                if errno == EINTR && !lock.withLock({ stopped }) { continue }
                lock.withLock {
                    stopped = true
                    close(listener)
                }
                return
            }
            if lock.withLock({ stopped }) {
                close(c)
                continue
            }
            var one: Int32 = 1
            setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            lock.withLock {
                _ = connections.insert(c)
                connectionCount += 1
            }
            let t = Thread { [self] in
                serve(c)
                lock.withLock { _ = connections.remove(c) }
                close(c)
            }
            t.start()
        }
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Read until the end of the headers.
            var headerEnd: Int? = nil
            while headerEnd == nil {
                headerEnd = Self.find(buffer, [13, 10, 13, 10])
                if headerEnd != nil { break }
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
                if n <= 0 { return }
                buffer.append(contentsOf: chunk[0..<n])
                if buffer.count > 1 << 20 { return }
            }
            let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count >= 2 else { return }
            var headers: [(String, String)] = []
            for l in lines {
                guard let colon = l.firstIndex(of: ":") else { continue }
                headers.append((String(l[..<colon]), l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            let length = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
            let bodyStart = headerEnd! + 4
            while buffer.count < bodyStart + length {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
                if n <= 0 { return }
                buffer.append(contentsOf: chunk[0..<n])
            }
            let body = Array(buffer[bodyStart..<(bodyStart + length)])
            buffer.removeFirst(bodyStart + length)
            let target = String(requestLine[1])
            let parts = target.split(separator: "?", maxSplits: 1)
            let request = Request(
                method: String(requestLine[0]), path: String(parts.first ?? ""), query: parts.count > 1 ? String(parts[1]) : "",
                headers: headers,
                body: body)
            lock.withLock { requestCount += 1 }
            let close = request.header("Connection")?.lowercased() == "close"
            switch handler(request) {
            case .respond(let status, let h, let b):
                if !send(fd, Self.head(status, h, b.count) + b) { return }
            case .slowBody(let status, let h, let b, let size, let delay):
                if !send(fd, Self.head(status, h, b.count)) { return }
                var i = 0
                while i < b.count {
                    Thread.sleep(forTimeInterval: delay)
                    if lock.withLock({ stopped }) { return }
                    if !send(fd, Array(b[i..<min(b.count, i + size)])) { return }
                    i += size
                }
            case .reset:
                var l = linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
                return
            case .hang(let seconds):
                let until = Date().addingTimeInterval(seconds)
                while Date() < until && !lock.withLock({ stopped }) { Thread.sleep(forTimeInterval: 0.05) }
                return
            case .raw(let bytes):
                _ = send(fd, bytes)
                return
            }
            if close { return }
        }
    }

    static func head(_ status: Int, _ headers: [(String, String)], _ length: Int) -> [UInt8] {
        var s = "HTTP/1.1 \(status) \(reason(status))\r\n"
        for (k, v) in headers { s += "\(k): \(v)\r\n" }
        if !headers.contains(where: { $0.0.lowercased() == "content-length" }) { s += "Content-Length: \(length)\r\n" }
        s += "\r\n"
        return Array(s.utf8)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 500: return "Internal Server Error"
        default: return "Status"
        }
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
