import ArgumentParser
import CityCertRunner
import Foundation

/// The `citycert` command line: wiring and exit codes only; the work is in the library modules.
@main
struct CityCert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "citycert",
        abstract: "Conformance test harness for smart-city interoperability standards.",
        discussion: """
            Exit codes: 0 conformant; 1 a MUST requirement failed (or a SHOULD with --fail-on should); \
            2 invalid profile or usage; 3 runtime error (a check could not decide).
            """,
        version: "citycert \(toolVersion)",
        subcommands: [
            RunCommand.self, LintCommand.self, ListCommand.self, CoverageCommand.self, KeygenCommand.self, SignCommand.self,
            VerifyCommand.self, VersionCommand.self, JSONCommand.self, SweepCommand.self, ReportCommand.self,
        ])

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the citycert version.")
    func run() {
        print("citycert \(toolVersion)")
    }
}

let toolVersion = "0.1.0"

/// SIGINT and SIGTERM, handled on a Dispatch queue: each is recorded on `interruption` (signals that came
/// together counted), then `then(signal, count so far)` does what the command does about it. Cancel the
/// sources when the command ends.
func watchInterruptions(_ interruption: Interruption, then: @escaping @Sendable (Int32, Int) -> Void)
    -> [any DispatchSourceSignal]
{
    [SIGINT, SIGTERM].map { sig in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { then(sig, interruption.interrupt(signal: sig, times: Int(source.data))) }
        source.resume()
        return source
    }
}

/// Writes to standard error.
func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
