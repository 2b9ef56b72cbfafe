import CityCertJSON
import CityCertTestSupport
import Foundation
import Synchronization
import Testing

/// SIGINT and SIGTERM end a run cleanly (issue 15, defect 6): nothing new starts, what runs finishes, the
/// cleanup runs, the reports are written marked interrupted, and the exit code is 128 + the signal. (It
/// ended in under 10 ms with no cleanup, no report and nothing printed.)
@Suite struct InterruptTests {
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalStillCleansUpAndWritesTheReports(_ sig: Int32) async throws {
        let seen = Mutex<[String]>([])
        let server = try LoopbackServer { r in
            seen.withLock { $0.append("\(r.method) \(r.path)") }
            if r.path == "/slow" { return .hang(seconds: 1.5) }
            return .json("{}")
        }
        defer { server.stop() }
        let dir = NSTemporaryDirectory() + "citycert-interrupt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var requirements = ""
        for i in 1...5 {
            requirements +=
                "  - {id: R\(i), title: r, clause: \"1\", level: MUST, checks: [{http: {steps: [{request: {url: \"{{base_url}}/slow\"}, expect: {status: 200}}]}}]}\n"
        }
        let profile =
            "citycert: 1\nid: interrupt\ntitle: I\nversion: \"1\"\nstandard: {name: S, version: \"1\"}\ninputs: {base_url: {}}\n"
            + "defaults: {timeout: {connect: 5s, total: 5s}}\n"
            + "requirements:\n" + requirements
            + "cleanup:\n  - request: {method: DELETE, url: \"{{base_url}}/cleanup\"}\n    expect: {status: 200}\n"
        try profile.write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
        let start = Date()
        let pid = try Subprocess.spawn(
            CityCertBinary.path,
            ["run", dir + "/profile.yaml", "--input", "base_url=\(server.baseURL)", "--report-json", dir + "/r.json"],
            stdout: dir + "/out.txt", stderr: dir + "/err.txt")
        // Signal once the first request is in flight.
        // Polled and signalled from a Dispatch thread: a task's sleep on a busy cooperative pool can resume
        // seconds late, and the signal must follow the first request closely.
        let signalled = await Self.signalOnFirstRequest(pid, sig, start: start) { seen.withLock { !$0.isEmpty } }
        let (status, exited) = await Self.waitForExit(pid)
        #expect(status == 128 + sig)
        // The contract (README, exit codes): what runs finishes within its timeouts (5 s here), the cleanup
        // runs (30 s at most), then the reports are written. Signal and exit are both timed on Dispatch
        // threads (a time read after an await on the busy cooperative pool added the pool's delay: 43 s
        // once). Measured so, it takes under 1 s alone and 21 s during the full suite on two cores; why so
        // long under load is not known yet.
        #expect(exited.timeIntervalSince(signalled) < 5 + 30 + 5)
        let requests = seen.withLock { $0 }
        #expect(requests.last == "DELETE /cleanup", "\(requests)")
        #expect(requests.filter { $0 == "GET /slow" }.count < 5, "no new requirement starts once interrupted: \(requests)")
        let report = try JSONValue.parse(bytes: Repository.read(URL(fileURLWithPath: dir + "/r.json")))
        #expect(report["interrupted"] == .string(sig == SIGINT ? "SIGINT" : "SIGTERM"))
        #expect(report["verdict"] == .string("NOT CONFORMANT"))
        let out = try String(contentsOfFile: dir + "/out.txt", encoding: .utf8)
        #expect(out.contains("INTERRUPTED by \(sig == SIGINT ? "SIGINT" : "SIGTERM")"), "\(out)")
        // No temporary report file is left beside the report.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["err.txt", "out.txt", "profile.yaml", "r.json"])
    }

    /// A second signal ends the transfer in flight (it waited for the request's own 50 s timeout) and skips
    /// the cleanup; the requirement it cut short is `skipped`, not judged on half an exchange.
    @Test func aSecondSignalEndsTheTransferInFlight() async throws {
        let seen = Mutex<[String]>([])
        let server = try LoopbackServer { r in
            seen.withLock { $0.append("\(r.method) \(r.path)") }
            return .hang(seconds: 60)
        }
        defer { server.stop() }
        let dir = NSTemporaryDirectory() + "citycert-interrupt2-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let profile = """
            \(InlineProfile.head(id: "interrupt2"))
            inputs: {base_url: {}}
            requirements:
              - {id: R1, title: r, clause: "1", level: MUST, checks: [{http: {steps: [{request: {url: "{{base_url}}/hang"}, timeout: {total: 50s}, expect: {status: 200}}]}}]}
            cleanup:
              - request: {method: DELETE, url: "{{base_url}}/cleanup"}
                expect: {status: 200}
            """
        try profile.write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
        let start = Date()
        let pid = try Subprocess.spawn(
            CityCertBinary.path,
            ["run", dir + "/profile.yaml", "--input", "base_url=\(server.baseURL)", "--report-json", dir + "/r.json"],
            stdout: dir + "/out.txt", stderr: dir + "/err.txt")
        _ = await Self.signalOnFirstRequest(pid, SIGINT, start: start) { seen.withLock { !$0.isEmpty } }
        let second = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                usleep(500_000)
                let at = Date()
                kill(pid, SIGINT)
                continuation.resume(returning: at)
            }
        }
        let (status, exited) = await Self.waitForExit(pid)
        #expect(status == 130)
        #expect(exited.timeIntervalSince(second) < 10, "the transfer in flight held the exit")
        #expect(seen.withLock { $0 } == ["GET /hang"], "the cleanup was skipped")
        let report = try JSONValue.parse(bytes: Repository.read(URL(fileURLWithPath: dir + "/r.json")))
        guard case .array(let requirements)? = report["requirements"], let r1 = requirements.first else {
            Issue.record("no requirement in the report")
            return
        }
        #expect(r1["outcome"] == .string("skipped"), "\(JSONSerializer.string(r1))")
        #expect(report["interrupted"] == .string("SIGINT"))
    }

    /// Waits for `pid` to end (at most 60 s) on a Dispatch thread; returns its status and when it ended.
    static func waitForExit(_ pid: pid_t) async -> (Int32, Date) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let status = Subprocess.wait(pid, timeout: 60)
                continuation.resume(returning: (status, Date()))
            }
        }
    }

    /// Waits (on a Dispatch thread, polling every 10 ms for at most 60 s) until the server saw a request,
    /// then sends `sig` to `pid`; returns when the signal was sent.
    static func signalOnFirstRequest(
        _ pid: pid_t, _ sig: Int32, start: Date, hasRequest: @escaping @Sendable () -> Bool
    ) async -> Date {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                while !hasRequest() && Date().timeIntervalSince(start) < 60 { usleep(10_000) }
                let at = Date()
                kill(pid, sig)
                continuation.resume(returning: at)
            }
        }
    }
}
