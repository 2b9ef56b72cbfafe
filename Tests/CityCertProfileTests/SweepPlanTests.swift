import CityCertJSON
import CityCertJSONSchema
import CityCertProfile
import CityCertTestSupport
import Foundation
import Testing

/// The sweep plan format: the shipped example against the editors' schema and the loader, and the job
/// files that spread a sweep over machines (GitHub Actions, a Kubernetes Indexed Job), parsed and
/// checked for the shard arithmetic they must agree on.
@Suite struct SweepPlanTests {
    static func yaml(_ relative: String) throws -> JSONValue {
        let text = try String(contentsOf: Repository.root.appendingPathComponent(relative), encoding: .utf8)
        return try ProfileLoader.json(yaml: text, file: relative)
    }

    static let schema = Result {
        try JSONSchema(document: JSONValue.parse(bytes: Repository.read(Repository.profile("sweep.schema.json"))))
    }

    @Test func theExamplePlanMatchesTheSchemaAndLoads() throws {
        let errors = try Self.schema.get().validate(try Self.yaml("examples/sweep/plan.yaml"))
        #expect(errors.isEmpty, "\(errors.prefix(5))")
        let plan = try SweepPlanFile.load(path: Repository.root.appendingPathComponent("examples/sweep/plan.yaml").path)
        #expect(plan.targets.map(\.name) == ["acmecse", "django-sta", "unreachable"])
        #expect(plan.profiles.map(\.key) == ["onem2m", "sta"])
        #expect(plan.targets[2].timeBudget == 60 && plan.targets[0].timeBudget == 300 && plan.targets[0].rate == 20)
        #expect(plan.reports == ["markdown", "html"])
    }

    /// The schema and the loader agree on what they refuse: a secret written in the plan, an unknown key.
    @Test func theSchemaRefusesWhatTheLoaderRefuses() throws {
        let schema = try Self.schema.get()
        let literal = try ProfileLoader.json(
            yaml: "citycert-sweep: 1\nprofiles: {p: x.yaml}\ntargets: [{name: a, profiles: [p], secrets: {token: hunter2}}]\n",
            file: "t.yaml")
        #expect(!schema.validate(literal).isEmpty)
        let unknown = try ProfileLoader.json(
            yaml: "citycert-sweep: 1\nprofiles: {p: x.yaml}\ntargets: [{name: a, profiles: [p], jobs: 2}]\n", file: "t.yaml")
        #expect(!schema.validate(unknown).isEmpty)
        let escape = try ProfileLoader.json(
            yaml: "citycert-sweep: 1\nprofiles: {p: x.yaml}\ntargets: [{name: '..', profiles: [p]}]\n", file: "t.yaml")
        #expect(!schema.validate(escape).isEmpty)
    }

    /// Every shard of the workflow's matrix runs `--shard k/N` with the same N, uploads its folder, and the
    /// merge job merges exactly those N folders.
    @Test func theGitHubWorkflowShardsAndMergesConsistently() throws {
        let w = try Self.yaml("examples/sweep/github-actions.yml")
        let shards = w["jobs"]?["shard"]?["strategy"]?["matrix"]?["shard"]?.arrayValue ?? []
        let n = shards.count
        #expect(n >= 2 && shards == (1...n).map { .int($0) })
        let steps = w["jobs"]?["shard"]?["steps"]?.arrayValue ?? []
        let run = steps.compactMap { $0["run"]?.stringValue }.first { $0.contains("citycert sweep") } ?? ""
        #expect(run.contains("--shard ${{ matrix.shard }}/\(n)"), "\(run)")
        #expect(run.contains("--out out/shard-${{ matrix.shard }}"))
        #expect(steps.contains { $0["with"]?["path"]?.stringValue == "out/shard-${{ matrix.shard }}" })
        #expect(w["jobs"]?["merge"]?["needs"]?.stringValue == "shard")
        let merge =
            (w["jobs"]?["merge"]?["steps"]?.arrayValue ?? []).compactMap { $0["run"]?.stringValue }
            .first { $0.contains("report merge") } ?? ""
        #expect(merge.contains((1...n).map { "out/shard-\($0)" }.joined(separator: " ")), "\(merge)")
    }

    static let python = ProcessInfo.processInfo.environment["CITYCERT_ORACLE_PYTHON"]
    static let required = python != nil || ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } == true

    /// A second opinion on the manifest: kubernetes-validate (PyPI) checks it against Kubernetes' own
    /// OpenAPI schemas for batch/v1 Job.
    @Test(.enabled(if: required, "needs kubernetes-validate: .ci/run installs it in the oracle venv (CITYCERT_ORACLE_PYTHON)"))
    func theKubernetesJobIsAValidJob() async throws {
        let python = try #require(Self.python, "CI must provide the oracle: .ci/run sets CITYCERT_ORACLE_PYTHON")
        let out = try await Subprocess.run(
            python,
            [
                "-m", "kubernetes_validate", "--strict",
                Repository.root.appendingPathComponent("examples/sweep/kubernetes-job.yaml").path,
            ])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("passed for resource job/citycert-sweep"), "\(out.stdout)")
        // The oracle can fail: a misspelt field of the same manifest is refused.
        let text = try String(
            contentsOf: Repository.root.appendingPathComponent("examples/sweep/kubernetes-job.yaml"), encoding: .utf8)
        let bad = NSTemporaryDirectory() + "citycert-job-\(UUID().uuidString).yaml"
        try text.replacingOccurrences(of: "completionMode:", with: "completionMod:").write(
            toFile: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let refused = try await Subprocess.run(python, ["-m", "kubernetes_validate", "--strict", bad])
        #expect(refused.status != 0 && refused.stdout.contains("'completionMod' was unexpected"), "\(refused.stdout)")
    }

    @Test func theKubernetesJobMapsItsIndexToAShard() throws {
        let job = try Self.yaml("examples/sweep/kubernetes-job.yaml")
        #expect(job["kind"]?.stringValue == "Job" && job["apiVersion"]?.stringValue == "batch/v1")
        let spec = job["spec"]
        #expect(spec?["completionMode"]?.stringValue == "Indexed")
        guard case .number(let c)? = spec?["completions"], let n = Int(c.lexeme) else {
            Issue.record("completions is not a number")
            return
        }
        #expect(spec?["parallelism"] == .int(n))
        let container = spec?["template"]?["spec"]?["containers"]?[0]
        let script = container?["args"]?.arrayValue?.compactMap(\.stringValue).joined(separator: " ") ?? ""
        #expect(script.contains("k=$((JOB_COMPLETION_INDEX + 1))"), "\(script)")
        #expect(script.contains("--shard $k/\(n)"), "\(script)")
        #expect(script.contains("--out /sweep/shard-$k"))
        // Secrets come from a Kubernetes Secret, never from the manifest's text.
        let env = container?["env"]?.arrayValue ?? []
        #expect(env.allSatisfy { $0["value"] == nil && $0["valueFrom"]?["secretKeyRef"] != nil })
    }
}
