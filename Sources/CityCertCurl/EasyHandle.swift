internal import CCityCertCurl
import CityCertCore
import Foundation

/// Collects one transfer's headers and body; the C callbacks reach it through an unretained pointer.
final class TransferBox {
    var status = 0
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    let limit: Int
    var exceeded = false
    /// Set for the transfer: when raised, the progress callback ends it.
    var abort: AbortFlag?
    var aborted = false

    init(limit: Int) { self.limit = limit }

    func reset() {
        status = 0
        headers = []
        body = []
        exceeded = false
        aborted = false
    }
}

private let writeCallback: citycert_curl_data_cb = { ptr, size, count, userdata in
    let box = Unmanaged<TransferBox>.fromOpaque(userdata!).takeUnretainedValue()
    let n = size * count
    if box.body.count + n > box.limit {
        box.exceeded = true
        return 0  // aborts the transfer with CURLE_WRITE_ERROR
    }
    if let ptr {
        ptr.withMemoryRebound(to: UInt8.self, capacity: n) {
            box.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
        }
    }
    return n
}

private let headerCallback: citycert_curl_data_cb = { ptr, size, count, userdata in
    let box = Unmanaged<TransferBox>.fromOpaque(userdata!).takeUnretainedValue()
    let n = size * count
    guard let ptr, n > 0 else { return n }
    // Parsed at the byte level: this runs for every header of every response.
    ptr.withMemoryRebound(to: UInt8.self, capacity: n) { raw in
        let line = UnsafeBufferPointer(start: raw, count: n)
        var end = n
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D || line[end - 1] == 0x20 || line[end - 1] == 0x09 {
            end -= 1
        }
        if end >= 5, line[0] == 0x48, line[1] == 0x54, line[2] == 0x54, line[3] == 0x50, line[4] == 0x2F {
            // A new status line (after 100 Continue or an informational status): start over.
            box.headers = []
            return
        }
        guard let colon = line[0..<end].firstIndex(of: 0x3A) else { return }
        var valueStart = colon + 1
        while valueStart < end, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        box.headers.append(
            (
                String(decoding: UnsafeBufferPointer(rebasing: line[0..<colon]), as: UTF8.self),
                String(decoding: UnsafeBufferPointer(rebasing: line[valueStart..<end]), as: UTF8.self)
            ))
    }
    return n
}

/// libcurl calls this about once a second (and on every read or write): a raised abort flag ends the transfer.
private let progressCallback: citycert_curl_xferinfo_cb = { userdata, _, _, _, _ in
    let box = Unmanaged<TransferBox>.fromOpaque(userdata!).takeUnretainedValue()
    if box.abort?.isRaised == true {
        box.aborted = true
        return 1  // CURLE_ABORTED_BY_CALLBACK
    }
    return 0
}

/// Process-wide libcurl initialization, done once.
enum CurlGlobal {
    static let initialized: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()
}

/// An owning wrapper over one `CURL*` easy handle. It keeps its connection cache between transfers,
/// so consecutive requests to the same origin reuse one connection.
final class EasyHandle {
    let handle: UnsafeMutableRawPointer
    private let box: TransferBox
    /// libcurl writes its error text here during the transfer: memory owned by this handle.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The request's header list, alive until the transfer ends (libcurl reads it while sending).
    private var headerList: UnsafeMutablePointer<curl_slist>?

    init(maxBodyBytes: Int) throws(TransportError) {
        _ = CurlGlobal.initialized
        guard let h = curl_easy_init() else { throw TransportError(.other, "curl_easy_init failed") }
        handle = h
        box = TransferBox(limit: maxBodyBytes)
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// A timeout in whole milliseconds, clamped to [1 ms, 24 h] (never traps on odd values).
    static func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite else { return 86_400_000 }
        return Int(min(max(seconds * 1000, 1), 86_400_000))
    }

    private func check(_ code: CURLcode, _ what: String) throws(TransportError) {
        if code != CURLE_OK { throw TransportError(.invalidRequest, "\(what): \(String(cString: curl_easy_strerror(code)))") }
    }

    /// Performs one transfer on the calling thread (no redirect following: the transport decides).
    func perform(_ request: HTTPRequest, settings: TransportSettings) throws(TransportError) -> HTTPResponse {
        try prepare(request, settings: settings)
        return try finish(curl_easy_perform(handle), request)
    }

    /// Sets the handle up for `request`; the transfer then runs through `curl_easy_perform` or a multi handle.
    func prepare(_ request: HTTPRequest, settings: TransportSettings) throws(TransportError) {
        curl_easy_reset(handle)
        box.reset()
        errorBuffer[0] = 0
        curl_slist_free_all(headerList)
        headerList = nil
        try check(citycert_setopt_string(handle, CURLOPT_URL, request.url), "URL")
        try check(citycert_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        try check(citycert_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION")
        try check(citycert_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        try check(
            citycert_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)), "CONNECTTIMEOUT")
        try check(citycert_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.totalTimeout)), "TIMEOUT")
        _ = citycert_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        _ = citycert_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        if settings.insecure {
            _ = citycert_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            _ = citycert_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        } else {
            _ = citycert_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            _ = citycert_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        }
        if let ca = settings.caBundle { try check(citycert_setopt_string(handle, CURLOPT_CAINFO, ca), "CA bundle") }
        if let cert = settings.clientCertificate {
            try check(citycert_setopt_string(handle, CURLOPT_SSLCERT, cert), "client certificate")
        }
        if let key = settings.clientKey { try check(citycert_setopt_string(handle, CURLOPT_SSLKEY, key), "client key") }
        if let proxy = settings.proxy { try check(citycert_setopt_string(handle, CURLOPT_PROXY, proxy), "proxy") }

        switch request.method {
        case "GET": _ = citycert_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = citycert_setopt_long(handle, CURLOPT_NOBODY, 1)
        default:
            try check(citycert_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method), "method")
        }
        if let body = request.body {
            _ = citycert_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            // COPYPOSTFIELDS copies: the Swift array need not outlive this call.
            try body.withUnsafeBufferPointer { buf throws(TransportError) in
                let raw = buf.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)!
                let ptr = UnsafeMutableRawPointer(mutating: raw)
                try check(citycert_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, ptr), "body")
            }
            if request.method == "GET" || request.method == "HEAD" {
                try check(citycert_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method), "method")
            }
        }

        var list: UnsafeMutablePointer<curl_slist>? = nil
        for h in request.headers {
            // A content coding the profile asks for (Accept-Encoding: gzip) is decoded by libcurl, which
            // then sends the header itself; the decoded body is bounded like any other (--max-body), so a
            // compression bomb ends in an error, not in memory.
            if h.name.lowercased() == "accept-encoding" {
                try check(citycert_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, h.value), "Accept-Encoding")
                continue
            }
            list = curl_slist_append(list, "\(h.name): \(h.value)")
        }
        list = curl_slist_append(list, "Expect:")
        headerList = list
        _ = citycert_setopt_slist(handle, CURLOPT_HTTPHEADER, list)

        let opaque = Unmanaged.passUnretained(box).toOpaque()
        _ = citycert_setopt_callback(handle, CURLOPT_WRITEFUNCTION, writeCallback)
        _ = citycert_setopt_pointer(handle, CURLOPT_WRITEDATA, opaque)
        _ = citycert_setopt_callback(handle, CURLOPT_HEADERFUNCTION, headerCallback)
        _ = citycert_setopt_pointer(handle, CURLOPT_HEADERDATA, opaque)
        if let abort = settings.abort {
            box.abort = abort
            _ = citycert_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            _ = citycert_setopt_xferinfo(handle, progressCallback)
            _ = citycert_setopt_pointer(handle, CURLOPT_XFERINFODATA, opaque)
        } else {
            box.abort = nil
        }

    }

    /// The response of the transfer that ended with `code`.
    func finish(_ code: CURLcode, _ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        defer {
            curl_slist_free_all(headerList)
            headerList = nil
        }
        if code != CURLE_OK { throw mapError(code, request) }

        var status = 0
        _ = citycert_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var version = 0
        _ = citycert_getinfo_long(handle, CURLINFO_HTTP_VERSION, &version)
        func time(_ info: CURLINFO) -> Double {
            var v: curl_off_t = 0
            _ = citycert_getinfo_offset(handle, info, &v)
            return Double(v) / 1_000_000
        }
        let timings = HTTPTimings(
            dns: time(CURLINFO_NAMELOOKUP_TIME_T), connect: time(CURLINFO_CONNECT_TIME_T), tls: time(CURLINFO_APPCONNECT_TIME_T),
            firstByte: time(CURLINFO_STARTTRANSFER_TIME_T), total: time(CURLINFO_TOTAL_TIME_T))
        let versionText: String
        switch version {
        case Int(CURL_HTTP_VERSION_1_0): versionText = "HTTP/1.0"
        case Int(CURL_HTTP_VERSION_1_1): versionText = "HTTP/1.1"
        case Int(CURL_HTTP_VERSION_2_0): versionText = "HTTP/2"
        case 30: versionText = "HTTP/3"
        default: versionText = "HTTP"
        }
        return HTTPResponse(
            status: status, headers: box.headers, body: box.body, httpVersion: versionText, timings: timings,
            effectiveURL: request.url)
    }

    private func mapError(_ code: CURLcode, _ request: HTTPRequest) -> TransportError {
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_ABORTED_BY_CALLBACK where box.aborted:
            return TransportError(.interrupted, "ended by a second interruption (the transfer was in flight)")
        case CURLE_WRITE_ERROR where box.exceeded:
            return TransportError(.bodyTooLarge, "response body exceeds the limit of \(box.limit) bytes")
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError(.timeout, message)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return TransportError(.connect, message)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE:
            return TransportError(.tls, message)
        case CURLE_UNSUPPORTED_PROTOCOL where message.contains("HTTP/0.9"):
            // The server answered with bytes that are no HTTP response: its fault, not the request's.
            return TransportError(.protocolError, "the response is not HTTP (libcurl: \(message))")
        case CURLE_OUT_OF_MEMORY:
            // libcurl refuses response headers past its limit (100 KB) with this code.
            return TransportError(
                .protocolError,
                "the response headers are larger than libcurl accepts (100 KB), or memory ran out (libcurl: \(message))")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return TransportError(.invalidRequest, message)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return TransportError(.protocolError, message)
        default:
            return TransportError(.other, message)
        }
    }
}
