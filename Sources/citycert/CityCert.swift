import ArgumentParser
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

/// Writes to standard error.
func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
