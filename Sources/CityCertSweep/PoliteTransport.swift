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
    /// How many requests were sent again after a Retry-After (for the sweep's log).
    let retryCount = Atomic<Int>(0)
    public var retries: Int { retryCount.load(ordering: .relaxed) }

    public init(
        base: any HTTPTransport, rate: Double?, retryAfterMax: Double,
        clock: @escaping @Sendable () -> Double = now
    ) {
        self.base = base
        self.bucket = rate.map { TokenBucket(rate: $0, clock: clock) }
        self.retryAfterMax = retryAfterMax
        self.clock = clock
    }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        var attempt = 0
        while true {
            if let bucket { await bucket.take() }
            let response = try await base.send(request)
            attempt += 1
            guard attempt <= 3, response.status == 429 || response.status == 503,
                let wait = Self.retryAfter(response, now: clock()), wait <= retryAfterMax
            else { return response }
            retryCount.add(1, ordering: .relaxed)
            try? await Task.sleep(nanoseconds: UInt64(max(0, wait) * 1_000_000_000))
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

/// Requests per second: a bucket of `rate` tokens (at least one), refilled continuously; a request takes one
/// token or waits for it.
public actor TokenBucket {
    let rate: Double
    let capacity: Double
    var tokens: Double
    var last: Double
    let clock: @Sendable () -> Double

    public init(rate: Double, clock: @escaping @Sendable () -> Double = now) {
        self.rate = rate
        self.capacity = max(1, rate)
        self.tokens = max(1, rate)
        self.clock = clock
        self.last = clock()
    }

    /// Takes a token, waiting until one is there. A waiter reserves its token before it sleeps (the count
    /// goes below zero), so the next one waits longer: the rate holds however many wait at once.
    public func take() async {
        refill()
        if tokens >= 1 {
            tokens -= 1
            return
        }
        let wait = (1 - tokens) / rate
        tokens -= 1  // reserved: the refill after the wait pays it back
        try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
    }

    func refill() {
        let now = clock()
        tokens = min(capacity, tokens + (now - last) * rate)
        last = now
    }
}
