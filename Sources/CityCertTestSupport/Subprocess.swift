public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs programs for tests with posix_spawn and waitpid (Foundation's Process can hang waiting
/// inside Swift concurrency on Linux). Output goes through temporary files, so no pipe can fill up.
public enum Subprocess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Starts a program in the background; returns its pid.
    public static func spawn(
        _ path: String, _ arguments: [String], stdout: String = "/dev/null", stderr: String = "/dev/null", cwd: String? = nil
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // A working directory is set through /bin/sh (posix_spawn_file_actions_addchdir_np is not exported here).
        let command = cwd.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, path] + arguments } ?? [path] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        // The child starts with no signal blocked and SIGINT/SIGTERM/SIGPIPE at their defaults, whatever
        // the calling thread had (a thread of Swift's concurrency pool or of Dispatch may block some): a
        // test that signals the child must reach it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, command[0], &actions, &attributes, argv, environ)
        guard rc == 0 else { throw ServerError("cannot start \(path): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Waits for `pid` to end, killing it after `timeout` seconds; returns the exit status (or 128+signal).
    public static func wait(_ pid: pid_t, timeout: Double = 120) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 { return -1 }
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return 137
            }
            usleep(2000)
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// Runs a program to completion and captures its output.
    public static func run(_ path: String, _ arguments: [String], cwd: String? = nil, timeout: Double = 120) throws -> Result {
        let base = NSTemporaryDirectory() + "citycert-sub-\(UUID().uuidString)"
        let out = base + ".out"
        let err = base + ".err"
        defer {
            unlink(out)
            unlink(err)
        }
        let pid = try spawn(path, arguments, stdout: out, stderr: err, cwd: cwd)
        let status = wait(pid, timeout: timeout)
        let o = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let e = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        return Result(status: status, stdout: o, stderr: e)
    }

    /// `wait` for async code, on a Dispatch thread (see the async `run`).
    public static func wait(_ pid: pid_t, timeout: Double = 120) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: wait(pid, timeout: timeout) as Int32) }
        }
    }

    /// `run` for async code: the program is waited for on a Dispatch thread, never on one of Swift
    /// concurrency's cooperative threads (there are as many as cores: tests blocking them in waitpid held
    /// timers of other tests, a 0.3 s wait took 81 s on two cores).
    public static func run(_ path: String, _ arguments: [String], cwd: String? = nil, timeout: Double = 120) async throws
        -> Result
    {
        try await offCooperativePool { try run(path, arguments, cwd: cwd, timeout: timeout) as Subprocess.Result }
    }

    /// Runs blocking `work` on a Dispatch thread and awaits its result.
    static func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Swift.Result { try work() }) }
        }
    }

    public static func terminate(_ pid: pid_t) {
        kill(pid, SIGTERM)
        _ = wait(pid, timeout: 1)
    }
}

extension Subprocess {
    /// Waits until something accepts TCP connections on 127.0.0.1:`port` (a server just spawned), for at
    /// most `timeout` seconds; false if nothing did. A fixed sleep was too short on a loaded machine.
    public static func waitForPort(_ port: Int, timeout: Double = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            if fd >= 0 {
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(port).bigEndian)
                addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                let rc = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                close(fd)
                if rc == 0 { return true }
            }
            usleep(50_000)
        }
        return false
    }
}
