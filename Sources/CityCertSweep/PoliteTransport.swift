public import CityCertCore
import Foundation
import Synchronization

/// A transport that is polite to one target: at most `rate` requests per second (a token bucket holding
/// one second's worth), and a `429 Too Many Requests` or `503 Service Unavailable` with a `Retry-After`
/// of at most `retryAfterMax` seconds waited out and sent again (3 times at most). A longer or missing
/// `Retry-After` is the target's answer and is judged like any other.
public final class PoliteTransport: HTTPTransport, Sendable {
    let base: any HTTPTransport
    let bucket: TokenBucket?
    let retryAfterMax: Double
    let clock: @Sendable () -> Double
    /// True once the run is interrupted (a time budget, a signal): no wait for a token or a Retry-After goes on.
    let stop: @Sendable () -> Bool
    /// How many requests were sent again after a Retry-After (for the sweep's log).
    let retryCount = Atomic<Int>(0)
    public var retries: Int { retryCount.load(ordering: .relaxed) }

    public convenience init(
        base: any HTTPTransport, rate: Double?, retryAfterMax: Double,
        stop: @escaping @Sendable () -> Bool = { false }, clock: @escaping @Sendable () -> Double = now
    ) {
        self.init(
            base: base, bucket: rate.map { TokenBucket(rate: $0, clock: clock) }, retryAfterMax: retryAfterMax, stop: stop,
            clock: clock)
    }

    public init(
        base: any HTTPTransport, bucket: TokenBucket?, retryAfterMax: Double,
        stop: @escaping @Sendable () -> Bool = { false }, clock: @escaping @Sendable () -> Double = now
    ) {
        self.base = base
        self.stop = stop
        self.bucket = bucket
        self.retryAfterMax = retryAfterMax
        self.clock = clock
    }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        var attempt = 0
        while true {
            // Once the run is interrupted (a time budget, a signal) the wait for a token ends and the request
            // goes at once: the runner starts no new step then, so what is sent is a step already under way
            // or the cleanup, which must not be held back (test data would stay on the target).
            if let bucket { _ = await bucket.take(stop: stop) }
            let response = try await base.send(request)
            attempt += 1
            guard retryAfterMax > 0, attempt <= 3, response.status == 429 || response.status == 503,
                let wait = Self.retryAfter(response, now: clock()), wait <= retryAfterMax
            else { return response }
            // Waited in slices, so that an interruption ends the wait (the answer in hand stands).
            let until = clock() + wait
            while clock() < until {
                if stop() { return response }
                try? await Task.sleep(nanoseconds: UInt64(min(0.1, max(0, until - clock())) * 1_000_000_000))
            }
            if stop() { return response }
            retryCount.add(1, ordering: .relaxed)
        }
    }

    /// RFC 9110 §10.2.3: `Retry-After` is delay-seconds or an HTTP-date; nil when absent or unreadable.
    static func retryAfter(_ r: HTTPResponse, now: Double) -> Double? {
        guard
            let v = r.headers.first(where: { $0.name.lowercased() == "retry-after" })?.value.trimmingCharacters(in: .whitespaces)
        else { return nil }
        if !v.isEmpty, v.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), v.utf8.count <= 9, let s = Double(v) { return s }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = f.date(from: v) else { return nil }
        return max(0, date.timeIntervalSince1970 - now)
    }
}

/// Seconds since 1970 (the default clock).
public func now() -> Double { Date().timeIntervalSince1970 }

/// Requests per second: a bucket of `rate` tokens (at least one), refilled continuously; a request takes
/// one token or waits for it. A waiter looks again at least every 0.1 s and takes a token only when one is
/// there at that moment, so grants never exceed the bucket plus its refill, however many wait and however
/// late their tasks are scheduled.
public actor TokenBucket {
    let rate: Double
    let capacity: Double
    var tokens: Double
    var last: Double
    let clock: @Sendable () -> Double
    let sleep: @Sendable (Double) async -> Void

    public init(
        rate: Double, clock: @escaping @Sendable () -> Double = now,
        sleep: @escaping @Sendable (Double) async -> Void = { try? await Task.sleep(nanoseconds: UInt64($0 * 1_000_000_000)) }
    ) {
        self.rate = rate
        self.capacity = max(1, rate)
        self.tokens = max(1, rate)
        self.clock = clock
        self.sleep = sleep
        self.last = clock()
    }

    /// Takes a token, waiting until one is there; false when `stop` said so first (nothing taken).
    public func take(stop: @Sendable () -> Bool = { false }) async -> Bool {
        while true {
            refill()
            if tokens >= 1 {
                tokens -= 1
                return true
            }
            if stop() { return false }
            // At least 1 ms: a wait of a rounding error would not move a clock (and would spin).
            await sleep(max(0.001, min(0.1, (1 - tokens) / rate)))
        }
    }

    func refill() {
        let now = clock()
        tokens = min(capacity, tokens + max(0, now - last) * rate)
        last = now
    }
}
