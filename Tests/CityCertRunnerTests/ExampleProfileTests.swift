import CityCertCore
import CityCertCurl
import CityCertProfile
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// The runnable examples of Profiles/examples/, each against a loopback service that plays a conforming
/// target and targets with planted deviations. The expected outcomes follow from the planted deviations
/// and the example's rules, by hand.
@Suite struct ExampleProfileTests {
    struct Service {
        var conformsTo = ["http://example.org/conf/core", "http://example.org/conf/filtering"]
        /// numberReturned on the last page of `parks` overstates what it holds.
        var wrongCount = false
        /// bbox is ignored: every feature comes back.
        var ignoresBBox = false
        /// The last page of `roads` links back to the first.
        var loops = false
    }

    static let features: [String: [Int]] = ["roads": [1, 5, 20], "parks": [2, 3, 30]]

    static func serve(_ s: Service) throws -> LoopbackServer {
        try LoopbackServer { r in
            let base = "http://127.0.0.1:\(r.header("Host")?.split(separator: ":").last ?? "0")"
            var query: [String: String] = [:]
            for pair in r.query.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if kv.count == 2 { query[kv[0]] = kv[1] }
            }
            if r.path == "/conformance" {
                return .json("{\"conformsTo\": [" + s.conformsTo.map { "\"\($0)\"" }.joined(separator: ", ") + "]}")
            }
            if r.path == "/collections" {
                let list = features.keys.sorted().map {
                    "{\"id\": \"\($0)\", \"links\": [{\"rel\": \"self\", \"href\": \"\(base)/collections/\($0)\"}]}"
                }
                return .json("{\"collections\": [" + list.joined(separator: ", ") + "]}")
            }
            let parts = r.path.split(separator: "/").map(String.init)
            guard parts.count == 3, parts[0] == "collections", parts[2] == "items", let xs = features[parts[1]] else {
                return .json("{}", status: 404)
            }
            var selected = xs
            if query["bbox"] != nil && !s.ignoresBBox { selected = xs.filter { $0 >= 0 && $0 <= 10 } }
            let limit = Int(query["limit"] ?? "") ?? 10
            let offset = Int(query["offset"] ?? "") ?? 0
            let page = Array(selected.dropFirst(offset).prefix(limit))
            var links: [String] = []
            let url = "\(base)/collections/\(parts[1])/items"
            if offset + limit < selected.count {
                links.append("{\"rel\": \"next\", \"href\": \"\(url)?limit=\(limit)&offset=\(offset + limit)\"}")
            } else if s.loops && parts[1] == "roads" && offset > 0 {
                links.append("{\"rel\": \"next\", \"href\": \"\(url)?limit=\(limit)\"}")
            }
            let last = offset + limit >= selected.count
            let count = s.wrongCount && parts[1] == "parks" && last ? page.count + 1 : page.count
            let feats = page.map {
                "{\"type\": \"Feature\", \"id\": \"\(parts[1])-\($0)\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [\($0), \($0)]}, \"properties\": {}}"
            }
            return .json(
                "{\"type\": \"FeatureCollection\", \"numberReturned\": \(count), \"features\": [" + feats.joined(separator: ", ")
                    + "], \"links\": [" + links.joined(separator: ", ") + "]}")
        }
    }

    static func run(_ s: Service) async throws -> RunReport {
        let server = try serve(s)
        defer { server.stop() }
        let profile = try ProfileLoader().load(path: Repository.profile("examples/ogc-api-like/profile.yaml").path)
        var options = RunOptions()
        options.inputs = ["base_url": server.baseURL]
        return try await Runner(profile: profile, transport: CurlTransport(), options: options).run()
    }

    static func outcomes(_ r: RunReport) -> [String: Outcome] {
        Dictionary(uniqueKeysWithValues: r.requirements.map { ($0.id, $0.outcome) })
    }

    static func classes(_ r: RunReport) -> [String: ClassVerdict] {
        Dictionary(uniqueKeysWithValues: r.classes.map { ($0.id, r.verdict(of: $0)) })
    }

    @Test func aConformingServiceIsConformantInEveryClass() async throws {
        let r = try await Self.run(Service())
        #expect(Self.outcomes(r) == ["EX-CONF": .passed, "EX-COLLECTIONS": .passed, "EX-ITEMS": .passed, "EX-BBOX": .passed])
        #expect(Self.classes(r) == ["core": .conformant, "filtering": .conformant])
        // Every page of both collections was judged: 2 pages each.
        let items = try #require(r.requirements.first { $0.id == "EX-ITEMS" })
        let exchanges = items.checks.flatMap(\.evidence).filter { if case .exchange = $0 { return true } else { return false } }
        #expect(exchanges.count == 4, "\(exchanges.count) pages judged")
    }

    @Test func aClassTheServiceDoesNotDeclareIsNotApplicable() async throws {
        var s = Service()
        s.conformsTo = ["http://example.org/conf/core"]
        s.ignoresBBox = true
        let r = try await Self.run(s)
        #expect(Self.outcomes(r)["EX-BBOX"] == .notApplicable)
        #expect(Self.classes(r) == ["core": .conformant, "filtering": .notApplicable])
        #expect(r.conformant)
    }

    @Test func plantedDeviationsFailTheirRequirementsAndClasses() async throws {
        var s = Service()
        s.wrongCount = true
        s.ignoresBBox = true
        let r = try await Self.run(s)
        #expect(Self.outcomes(r) == ["EX-CONF": .passed, "EX-COLLECTIONS": .passed, "EX-ITEMS": .failed, "EX-BBOX": .failed])
        #expect(Self.classes(r) == ["core": .notConformant, "filtering": .notConformant])
        var loop = Service()
        loop.loops = true
        let looped = try await Self.run(loop)
        #expect(Self.outcomes(looped)["EX-ITEMS"] == .failed)
        let problems =
            looped.requirements.first { $0.id == "EX-ITEMS" }?.checks.flatMap(\.evidence).flatMap { e -> [String] in
                if case .exchange(let x) = e { return x.problems }
                return []
            } ?? []
        #expect(problems.contains { $0.contains("the next link of page 2 goes back to page 1") }, "\(problems)")
    }
}
