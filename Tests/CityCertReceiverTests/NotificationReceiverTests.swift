import CityCertCore
import CityCertCurl
import Foundation
import Testing

@testable import CityCertReceiver

/// The SwiftNIO receiver, driven through the real libcurl transport on loopback.
@Suite struct NotificationReceiverTests {
    func post(_ url: String, _ body: String, headers: [(String, String)] = []) async throws -> HTTPResponse {
        let transport = CurlTransport()
        return try await transport.send(
            HTTPRequest(
                method: "POST", url: url, headers: headers + [("Content-Type", "application/json")], body: Array(body.utf8)))
    }

    @Test func aNotificationIsStoredAnsweredAndAwaited() async throws {
        let receiver = try NotificationReceiver()
        defer { receiver.stop() }
        #expect(receiver.url.hasPrefix("http://127.0.0.1:"))
        // A oneM2M-style request gets its request identifier echoed with X-M2M-RSC 2000.
        let response = try await post(receiver.url + "/notify", #"{"m2m:sgn": {"vrq": true}}"#, headers: [("X-M2M-RI", "ri-1")])
        #expect(response.status == 200)
        #expect(response.header("X-M2M-RI") == "ri-1")
        #expect(response.header("X-M2M-RSC") == "2000")
        _ = try await post(receiver.url + "/notify", #"{"n": 2}"#)
        let found = await receiver.wait(from: 0, within: 2) { String(decoding: $0.body, as: UTF8.self).contains("\"n\": 2") }
        #expect(found?.index == 1)
        #expect(found?.notification.path == "/notify")
        #expect(found?.notification.method == "POST")
    }

    @Test func waitingEndsAtTheTimeLimit() async throws {
        let receiver = try NotificationReceiver()
        defer { receiver.stop() }
        let start = ContinuousClock.now
        let found = await receiver.wait(from: 0, within: 0.3) { _ in true }
        #expect(found == nil)
        // The property is that waiting ends (no hang); the bound is loose because parallel tests on two
        // cores can hold the cooperative threads for seconds.
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(ContinuousClock.now - start >= .milliseconds(300))
    }

    @Test func anOversizedBodyIsRefusedAndNotStored() async throws {
        let receiver = try NotificationReceiver(maxBodyBytes: 1024)
        defer { receiver.stop() }
        let response = try await post(receiver.url, String(repeating: "x", count: 4096))
        #expect(response.status == 413)
        #expect(receiver.received().isEmpty)
    }

    @Test func notificationsPastTheStoreAreCounted() async throws {
        let receiver = try NotificationReceiver(maxStored: 1)
        defer { receiver.stop() }
        _ = try await post(receiver.url, "{}")
        let second = try await post(receiver.url, "{}")
        #expect(second.status == 200)
        #expect(receiver.received().count == 1)
        #expect(receiver.droppedCount == 1)
    }

    @Test func aBusyPortIsAClearError() throws {
        let first = try NotificationReceiver()
        defer { first.stop() }
        let port = Int(first.url.split(separator: ":").last!)!
        let error = #expect(throws: NotificationReceiver.ReceiverError.self) { try NotificationReceiver(port: port) }
        #expect(error?.description.contains("cannot listen on 127.0.0.1:\(port)") == true)
    }
}
