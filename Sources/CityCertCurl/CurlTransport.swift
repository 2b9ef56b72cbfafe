public import CityCertCore
import Foundation

/// The libcurl transport: a pool of worker threads, each owning one easy handle (so connections are
/// reused), bridged to async. Redirects are followed here, in Swift, so the origin rule is enforced.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    public let settings: TransportSettings
    private let pool: WorkerPool

    /// `concurrency`: how many transfers may run at once (`--jobs`).
    public init(settings: TransportSettings = TransportSettings(), concurrency: Int = 1) {
        self.settings = settings
        self.pool = WorkerPool(size: max(1, concurrency), maxBodyBytes: settings.maxBodyBytes)
    }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        var current = request
        var hops = 0
        while true {
            let response = try await pool.perform(current, settings: settings)
            guard (300...399).contains(response.status), [301, 302, 303, 307, 308].contains(response.status),
                request.redirects != .none,
                let location = response.header("Location")
            else { return response }
            guard let base = URL(string: current.url), let next = URL(string: location, relativeTo: base)?.absoluteURL else {
                throw TransportError(.protocolError, "redirect to an invalid Location '\(location)'")
            }
            let scheme = next.scheme?.lowercased() ?? ""
            guard scheme == "http" || scheme == "https" else {
                throw TransportError(.redirectRefused, "redirect to a non-HTTP URL (\(scheme):) refused")
            }
            if base.scheme?.lowercased() == "https" && scheme == "http" {
                throw TransportError(.redirectRefused, "redirect from https to http refused (downgrade)")
            }
            let sameOrigin = Self.sameOrigin(base, next)
            if request.redirects == .sameOrigin && !sameOrigin {
                throw TransportError(
                    .redirectRefused,
                    "redirect from \(current.url) to \(next.absoluteString) leaves the origin; the step allows same-origin redirects only"
                )
            }
            if !sameOrigin {
                // Credentials never follow a redirect to another origin.
                current.headers.removeAll { Self.credentialHeaders.contains($0.name.lowercased()) }
            }
            hops += 1
            if hops > settings.maxRedirects {
                throw TransportError(.protocolError, "more than \(settings.maxRedirects) redirects")
            }
            if response.status == 303 || ((response.status == 301 || response.status == 302) && current.method == "POST") {
                current.method = "GET"
                current.body = nil
            }
            current.url = next.absoluteString
        }
    }

    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"]

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func port(_ u: URL) -> Int { u.port ?? (u.scheme?.lowercased() == "https" ? 443 : 80) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased()
            && port(a) == port(b)
    }
}

/// Threads that run blocking libcurl transfers off the Swift concurrency pool. The threads share a
/// `Queue` (never the pool itself), so the pool's deinit can stop them and nothing outlives its owner.
final class WorkerPool: @unchecked Sendable {
    struct Job {
        let request: HTTPRequest
        let settings: TransportSettings
        let done: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>
    }

    final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [Job] = []
        var head = 0
        var idle = 0
        var threads = 0
        var shuttingDown = false
        var pending: Int { jobs.count - head }
    }

    private let queue = Queue()
    private let size: Int
    private let maxBodyBytes: Int

    init(size: Int, maxBodyBytes: Int) {
        self.size = size
        self.maxBodyBytes = maxBodyBytes
    }

    deinit {
        queue.condition.lock()
        queue.shuttingDown = true
        queue.condition.broadcast()
        queue.condition.unlock()
    }

    /// With one transfer at a time, the transfer runs on the calling thread (no hand-off between
    /// threads per request); the lock keeps the single handle exclusive.
    private let inlineLock = NSLock()
    private var inlineHandle: EasyHandle?

    func perform(_ request: HTTPRequest, settings: TransportSettings) async throws(TransportError) -> HTTPResponse {
        if size == 1 { return try performInline(request, settings: settings) }
        let q = queue
        let limit = size
        let bodyLimit = maxBodyBytes
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>) in
            q.condition.lock()
            q.jobs.append(Job(request: request, settings: settings, done: c))
            // More waiting jobs than idle workers: add a worker, up to the limit.
            if q.pending > q.idle && q.threads < limit {
                q.threads += 1
                let t = Thread { WorkerPool.work(q, maxBodyBytes: bodyLimit) }
                t.name = "citycert-curl-\(q.threads)"
                t.start()
            }
            q.condition.signal()
            q.condition.unlock()
        }
        return try result.get()
    }

    private func performInline(_ request: HTTPRequest, settings: TransportSettings) throws(TransportError) -> HTTPResponse {
        inlineLock.lock()
        defer { inlineLock.unlock() }
        if inlineHandle == nil { inlineHandle = try EasyHandle(maxBodyBytes: maxBodyBytes) }
        return try inlineHandle!.perform(request, settings: settings)
    }

    private static func work(_ q: Queue, maxBodyBytes: Int) {
        let handle: EasyHandle
        do {
            handle = try EasyHandle(maxBodyBytes: maxBodyBytes)
        } catch {
            q.condition.lock()
            q.threads -= 1
            let failed = q.threads == 0 ? Array(q.jobs[q.head...]) : []
            if q.threads == 0 {
                q.jobs = []
                q.head = 0
            }
            q.condition.unlock()
            for j in failed { j.done.resume(returning: .failure(error)) }
            return
        }
        while true {
            q.condition.lock()
            q.idle += 1
            while q.pending == 0 && !q.shuttingDown { q.condition.wait() }
            q.idle -= 1
            if q.pending == 0 {
                q.threads -= 1
                q.condition.unlock()
                return
            }
            let job = q.jobs[q.head]
            q.head += 1
            if q.head > 1024 && q.head * 2 > q.jobs.count {
                q.jobs.removeFirst(q.head)
                q.head = 0
            }
            q.condition.unlock()
            let result: Result<HTTPResponse, TransportError>
            do {
                result = .success(try handle.perform(job.request, settings: job.settings))
            } catch {
                result = .failure(error)
            }
            job.done.resume(returning: result)
        }
    }
}
