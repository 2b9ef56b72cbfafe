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
        // Any window of 1 s holds at most 5 + 5 requests (a full bucket, then the refill).
        for (i, t) in times.enumerated() {
            let within = times[i...].prefix { $0 < t + 1.0 }.count
            #expect(within <= 10, "\(within) requests within 1 s")
        }
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
