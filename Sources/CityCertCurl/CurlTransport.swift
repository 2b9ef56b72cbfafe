internal import CCityCertCurl
public import CityCertCore
import Foundation

/// The libcurl transport: a pool of worker threads, each owning one easy handle (so connections are
/// reused), bridged to async. Redirects are followed here, in Swift, so the origin rule is enforced.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    public let settings: TransportSettings
    private let pool: WorkerPool

    /// `concurrency`: how many transfers may run at once (`--jobs`).
    public convenience init(settings: TransportSettings = TransportSettings(), concurrency: Int = 1) {
        self.init(settings: settings, concurrency: concurrency, idlePollMilliseconds: 1000)
    }

    /// `idlePollMilliseconds`: how long the multi loop sleeps with nothing to do unless woken (tests
    /// lengthen it, so that a missed wake-up cannot pass for a slow machine).
    init(settings: TransportSettings, concurrency: Int, idlePollMilliseconds: Int32) {
        self.settings = settings
        self.pool = WorkerPool(
            size: max(1, concurrency), maxBodyBytes: settings.maxBodyBytes, idlePollMilliseconds: idlePollMilliseconds)
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
                // A 307/308 resends the method and the body: to another origin that would hand it whatever
                // the body holds (a password, a token); refused rather than sent.
                if (response.status == 307 || response.status == 308), let body = current.body, !body.isEmpty {
                    throw TransportError(
                        .redirectRefused,
                        "\(response.status) redirect from \(current.url) to \(next.absoluteString) leaves the origin and would resend the request body there; refused"
                    )
                }
                // Nothing the profile set follows a redirect to another origin but content negotiation and
                // what the step names in redirect_headers: any other header may carry a credential under a
                // name no list knows (X-Token, Api-Key, …).
                current.headers.removeAll {
                    let name = $0.name.lowercased()
                    return !Self.headersKeptAcrossOrigins.contains(name) && !request.keepAcrossOrigins.contains(name)
                }
            }
            hops += 1
            if hops > settings.maxRedirects {
                throw TransportError(.protocolError, "more than \(settings.maxRedirects) redirects")
            }
            if response.status == 303 || ((response.status == 301 || response.status == 302) && current.method == "POST") {
                current.method = "GET"
                current.body = nil
            }
            // Whatever the status (a 301/302 keeps a PUT's or PATCH's body), a body never goes to another origin.
            if !sameOrigin, let body = current.body, !body.isEmpty {
                throw TransportError(
                    .redirectRefused,
                    "\(response.status) redirect from \(current.url) to \(next.absoluteString) leaves the origin and would resend the request body there; refused"
                )
            }
            current.url = next.absoluteString
        }
    }

    /// The request headers a cross-origin redirect keeps: they describe the content, and carry no credential.
    static let headersKeptAcrossOrigins: Set<String> = [
        "accept", "accept-language", "accept-encoding", "content-type", "content-language", "user-agent",
    ]

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func port(_ u: URL) -> Int { u.port ?? (u.scheme?.lowercased() == "https" ? 443 : 80) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased()
            && port(a) == port(b)
    }
}

/// Runs libcurl transfers off the Swift concurrency pool. One transfer at a time runs inline on the
/// calling thread; more run on one thread that drives up to `size` transfers at once through the curl
/// multi interface (one event loop instead of a thread per transfer, and a connection cache shared by
/// all of them). The loop thread shares a `Loop` object with this pool (never the pool itself), so the
/// pool's deinit can stop it and nothing outlives its owner.
final class WorkerPool: @unchecked Sendable {
    struct Job {
        let request: HTTPRequest
        let settings: TransportSettings
        let done: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>
    }

    /// The multi handle, the jobs waiting for it, and the loop thread's lifecycle.
    final class Loop: @unchecked Sendable {
        let lock = NSLock()
        var jobs: [Job] = []
        var head = 0
        var started = false
        var shuttingDown = false
        /// Set (under the lock) while the loop sleeps in `curl_multi_poll` with nothing queued and a slot
        /// free: only then does a new job need `curl_multi_wakeup` (a write to libcurl's socket pair, and a wake-up of
        /// the loop for each job); a busy loop finds new jobs when it next calls `take`.
        var sleeping = false
        let multi: UnsafeMutableRawPointer?
        let size: Int
        let maxBodyBytes: Int
        let idlePollMilliseconds: Int32

        init(size: Int, maxBodyBytes: Int, idlePollMilliseconds: Int32) {
            _ = CurlGlobal.initialized
            // Only a pool that runs several transfers at once needs a multi handle.
            multi = size > 1 ? curl_multi_init() : nil
            self.size = size
            self.maxBodyBytes = maxBodyBytes
            self.idlePollMilliseconds = idlePollMilliseconds
        }

        deinit { if let multi { curl_multi_cleanup(multi) } }

        /// Takes up to `limit` waiting jobs; nil when the loop should end (shut down, nothing left).
        func take(_ limit: Int, active: Int) -> [Job]? {
            lock.lock()
            defer { lock.unlock() }
            if shuttingDown && active == 0 && jobs.count == head { return nil }
            let n = min(limit, jobs.count - head)
            let taken = Array(jobs[head..<(head + n)])
            head += n
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            return taken
        }

        /// The event loop: add waiting transfers while slots are free, let libcurl work, hand each
        /// finished transfer back to its continuation, and sleep in `curl_multi_poll` until a socket
        /// is ready, a timeout of libcurl's is due, or `curl_multi_wakeup` signals a new job.
        func run() {
            guard let multi else { return }
            var idle: [EasyHandle] = []
            var active: [UnsafeMutableRawPointer: (handle: EasyHandle, job: Job)] = [:]
            while let taken = take(size - active.count, active: active.count) {
                for job in taken {
                    do throws(TransportError) {
                        let handle: EasyHandle
                        if let reused = idle.popLast() {
                            handle = reused
                        } else {
                            handle = try EasyHandle(maxBodyBytes: maxBodyBytes)
                        }
                        do throws(TransportError) {
                            try handle.prepare(job.request, settings: job.settings)
                        } catch {
                            idle.append(handle)
                            throw error
                        }
                        guard curl_multi_add_handle(multi, handle.handle) == CURLM_OK else {
                            idle.append(handle)
                            throw TransportError(.other, "curl_multi_add_handle failed")
                        }
                        active[handle.handle] = (handle, job)
                    } catch {
                        job.done.resume(returning: .failure(error))
                    }
                }
                var running: Int32 = 0
                _ = curl_multi_perform(multi, &running)
                var left: Int32 = 0
                var finished = false
                while let message = curl_multi_info_read(multi, &left) {
                    guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                    let code = message.pointee.data.result
                    curl_multi_remove_handle(multi, easy)
                    guard let (handle, job) = active.removeValue(forKey: easy) else { continue }
                    let result: Result<HTTPResponse, TransportError>
                    do throws(TransportError) {
                        result = .success(try handle.finish(code, job.request))
                    } catch {
                        result = .failure(error)
                    }
                    job.done.resume(returning: result)
                    idle.append(handle)
                    finished = true
                }
                // Sleeps at most 1 s: libcurl shortens it to its own next timeout (connect, total). When a
                // slot has just been freed, or a job waits for a free slot, it only looks.
                // With every slot busy, a new job waits for a transfer to end, which wakes the loop anyway.
                lock.lock()
                let full = active.count >= size
                let sleep = !finished && (jobs.count == head || full)
                sleeping = sleep && !full
                lock.unlock()
                _ = curl_multi_poll(multi, nil, 0, sleep ? idlePollMilliseconds : 0, nil)
                lock.lock()
                sleeping = false
                lock.unlock()
            }
        }
    }

    private let loop: Loop

    init(size: Int, maxBodyBytes: Int, idlePollMilliseconds: Int32) {
        loop = Loop(size: size, maxBodyBytes: maxBodyBytes, idlePollMilliseconds: idlePollMilliseconds)
    }

    deinit {
        loop.lock.lock()
        loop.shuttingDown = true
        loop.lock.unlock()
        if let multi = loop.multi { curl_multi_wakeup(multi) }
    }

    /// With one transfer at a time, the transfer runs on the calling thread (no hand-off between
    /// threads per request); the lock keeps the single handle exclusive.
    private let inlineLock = NSLock()
    private var inlineHandle: EasyHandle?

    func perform(_ request: HTTPRequest, settings: TransportSettings) async throws(TransportError) -> HTTPResponse {
        if loop.size == 1 { return try performInline(request, settings: settings) }
        let loop = self.loop
        guard let multi = loop.multi else { throw TransportError(.other, "curl_multi_init failed") }
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>) in
            loop.lock.lock()
            loop.jobs.append(Job(request: request, settings: settings, done: c))
            let start = !loop.started
            loop.started = true
            let wake = loop.sleeping
            loop.sleeping = false
            loop.lock.unlock()
            if start {
                let t = Thread { loop.run() }
                t.name = "citycert-curl"
                t.start()
            } else if wake {
                curl_multi_wakeup(multi)
            }
        }
        return try result.get()
    }

    private func performInline(_ request: HTTPRequest, settings: TransportSettings) throws(TransportError) -> HTTPResponse {
        inlineLock.lock()
        defer { inlineLock.unlock() }
        if inlineHandle == nil { inlineHandle = try EasyHandle(maxBodyBytes: loop.maxBodyBytes) }
        return try inlineHandle!.perform(request, settings: settings)
    }
}
