import CityCertCore
import CityCertCurl
import CityCertSweep
import CityCertTestSupport
import Foundation
import Synchronization
import Testing

/// Politeness toward one target, through the real libcurl transport on loopback: a rate limit that holds
/// however many requests are in flight, and Retry-After honoured within its bound.
@Suite struct PoliteTransportTests {
    static func get(_ url: String) -> HTTPRequest {
        HTTPRequest(method: "GET", url: url, headers: [], body: nil)
    }

    /// 5 requests per second with a bucket of 5: 15 requests sent at once cannot all arrive before
    /// (15 - 5) / 5 = 2 s have passed. (Only the lower bound is asserted: a slow machine only adds time.)
    @Test func aRateLimitHoldsWithManyRequestsInFlight() async throws {
        let arrivals = Mutex<[Double]>([])
        let server = try LoopbackServer { _ in
            arrivals.withLock { $0.append(Date().timeIntervalSince1970) }
            return .json("{}")
        }
        defer { server.stop() }
        let polite = PoliteTransport(
            base: CurlTransport(settings: TransportSettings(), concurrency: 8), rate: 5, retryAfterMax: 0)
        let start = Date().timeIntervalSince1970
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<15 { group.addTask { try await polite.send(Self.get(server.baseURL + "/")).status } }
            for try await status in group { #expect(status == 200) }
        }
        let times = arrivals.withLock { $0 }.sorted()
        #expect(times.count == 15)
        #expect((times.last ?? 0) - start >= 1.9, "15 requests at 5/s arrived within \((times.last ?? 0) - start) s")
    }

    /// The bucket's schedule on a clock the test moves (every wait advances it): 5 per second with a
    /// bucket of 5 grants 5 at once, then one every 0.2 s; any window of 1 s holds at most 5 + 5 grants.
    @Test func theBucketGrantsAtMostItsRatePerSecond() async {
        let time = Mutex(0.0)
        let bucket = TokenBucket(
            rate: 5, clock: { time.withLock { $0 } }, sleep: { d in time.withLock { $0 += d } })
        var grants: [Double] = []
        for _ in 0..<20 {
            #expect(await bucket.take())
            grants.append(time.withLock { $0 })
        }
        let expected = [0.0, 0, 0, 0, 0] + (1...15).map { Double($0) * 0.2 }
        for (g, e) in zip(grants, expected) { #expect(abs(g - e) < 0.0015, "\(grants)") }
        for (i, t) in grants.enumerated() {
            #expect(grants[i...].prefix { $0 < t + 1.0 - 1e-9 }.count <= 10)
        }
    }

    /// An interruption ends a wait for the rate limit: the request goes at once.
    @Test func anInterruptionEndsTheWaitForAToken() async throws {
        final class Counter: HTTPTransport, Sendable {
            let count = Mutex(0)
            func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
                count.withLock { $0 += 1 }
                return HTTPResponse(
                    status: 200, headers: [], body: [], httpVersion: "1.1", timings: HTTPTimings(), effectiveURL: request.url)
            }
        }
        let counter = Counter()
        let time = Mutex(0.0)
        let bucket = TokenBucket(rate: 0.5, clock: { time.withLock { $0 } }, sleep: { d in time.withLock { $0 += d } })
        // The run is interrupted 0.3 s into the wait for the second token (due at 2 s).
        let polite = PoliteTransport(base: counter, bucket: bucket, retryAfterMax: 0, stop: { time.withLock { $0 } >= 0.3 })
        _ = try await polite.send(Self.get("http://x/"))
        // Sent at once: after an interruption only a step under way or the cleanup sends, and a cleanup must
        // not wait for tokens (its test data would stay on the target).
        #expect(try await polite.send(Self.get("http://x/")).status == 200)
        #expect(time.withLock { $0 } < 0.5, "the wait ended with the interruption, not at the token")
        #expect(counter.count.withLock { $0 } == 2)
    }

    /// A 429 with a Retry-After within the bound is waited out and sent again; a longer one, or none, is
    /// the target's answer.
    @Test func retryAfterIsHonouredWithinItsBound() async throws {
        let calls = Mutex<[String: Int]>([:])
        let server = try LoopbackServer { r in
            let n = calls.withLock { c -> Int in
                c[r.path, default: 0] += 1
                return c[r.path]!
            }
            switch r.path {
            case "/short": return n == 1 ? .json("{}", status: 429, headers: [("Retry-After", "1")]) : .json("{}")
            case "/long": return .json("{}", status: 429, headers: [("Retry-After", "3600")])
            case "/busy": return .json("{}", status: 503, headers: [("Retry-After", "0")])
            default: return .json("{}", status: 429)
            }
        }
        defer { server.stop() }
        let polite = PoliteTransport(
            base: CurlTransport(settings: TransportSettings(), concurrency: 2), rate: nil, retryAfterMax: 30)
        let start = Date().timeIntervalSince1970
        #expect(try await polite.send(Self.get(server.baseURL + "/short")).status == 200)
        #expect(Date().timeIntervalSince1970 - start >= 0.9)
        #expect(try await polite.send(Self.get(server.baseURL + "/long")).status == 429)
        #expect(try await polite.send(Self.get(server.baseURL + "/none")).status == 429)
        // Sent again at most 3 times: the 4th answer stands.
        #expect(try await polite.send(Self.get(server.baseURL + "/busy")).status == 503)
        #expect(calls.withLock { $0 } == ["/short": 2, "/long": 1, "/none": 1, "/busy": 4])
        #expect(polite.retries == 4)
    }
}
