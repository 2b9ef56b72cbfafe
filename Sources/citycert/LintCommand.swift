import ArgumentParser
import CityCertProfile
import CityCertRules
import Foundation

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint", abstract: "Load and compile profiles without running them; exit 2 on the first invalid one.")

    @Argument(help: "Profile files.") var profiles: [String]

    func run() throws {
        var invalid = 0
        for p in profiles {
            do {
                let profile = try ProfileLoader().load(path: p)
                print("\(p): ok (\(profile.id) \(profile.version), \(profile.requirements.count) requirement(s))")
            } catch let e as ProfileError {
                warn(e.description)
                invalid += 1
            }
        }
        if invalid > 0 { throw ExitCode(2) }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the profiles in a folder (default: Profiles).")

    @Argument(help: "Folder to search for profile.yaml files.") var folder = "Profiles"
    @Flag(name: .customLong("markdown"), help: "Print the Markdown index of profiles and requirements (Profiles/README.md).")
    var markdown = false
    @Flag(name: .customLong("rules"), help: "Print the table of built-in rules a profile can name with `rule:`.")
    var rules = false

    func run() throws {
        if rules {
            print(
                "| rule | parameters | a finding means | reads |\n|---|---|---|---|\n" + RuleRegistry.markdownRows, terminator: ""
            )
            return
        }
        guard let e = FileManager.default.enumerator(atPath: folder) else {
            warn("error: cannot read \(folder)")
            throw ExitCode(2)
        }
        if markdown {
            var loaded: [(path: String, profile: Profile)] = []
            for case let rel as String in e where (rel as NSString).lastPathComponent == "profile.yaml" {
                do {
                    loaded.append((rel, try ProfileLoader().load(path: (folder as NSString).appendingPathComponent(rel))))
                } catch {
                    warn("\(error)")
                    throw ExitCode(2)
                }
            }
            print(ProfileIndex.markdown(loaded), terminator: "")
            return
        }
        var found = 0
        for case let rel as String in e where (rel as NSString).lastPathComponent == "profile.yaml" {
            let path = (folder as NSString).appendingPathComponent(rel)
            do {
                let p = try ProfileLoader().load(path: path)
                print("\(p.id)\t\(p.version)\t\(p.requirements.count) requirement(s)\t\(p.title)\t\(path)")
            } catch {
                print("INVALID\t\(path)\t\(error)")
            }
            found += 1
        }
        if found == 0 { print("no profiles under \(folder)") }
    }
}

struct CoverageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Print how far a profile's requirements implement its official test suite (its official_tests list).",
        discussion: """
            Every test case of the suite (each variant counted) is implemented by the requirements that cover it, \
            or not, with the list's reason: not-applicable and not-testable cases are left out of the applicable \
            count, left-out cases count against it. Exit 2 when the profile is invalid or has no official_tests.
            """)

    @Argument(help: "The profile file (or its folder).") var profile: String
    @Flag(name: .customLong("summary"), help: "Print the one-line summary only.") var summaryOnly = false

    func run() throws {
        let loaded = try loadProfileOrExit(profile)
        guard loaded.officialTests != nil else {
            warn("error: \(profile): the profile has no official_tests list (format 1.1, see Profiles/FORMAT.md)")
            throw ExitCode(2)
        }
        let coverage = OfficialCoverage(profile: loaded)
        print(summaryOnly ? coverage.summary : coverage.markdown(profile: loaded), terminator: summaryOnly ? "\n" : "")
    }
}

/// Loads a profile for a command that works on one; an invalid profile is reported at its place and the
/// command exits 2.
func loadProfileOrExit(_ path: String) throws -> Profile {
    do {
        return try ProfileLoader().load(path: path)
    } catch let e as ProfileError {
        warn(e.description)
        throw ExitCode(2)
    }
}
