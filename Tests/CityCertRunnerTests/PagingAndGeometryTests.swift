import CityCertCore
import CityCertCurl
import CityCertProfile
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// Format 1.1's follow.count, capture `absent: not-applicable`, and the `includes` and `intersects_bbox`
/// predicates, against a loopback service with planted deviations; the expectations are written by hand.
@Suite struct PagingAndGeometryTests {
    /// /good: 5 features over 3 pages (2, 2, 1) and numberMatched 5; /bad: the same pages, numberMatched 6;
    /// /empty: no feature and no numberMatched. Features are points at (i, i).
    static func service() throws -> LoopbackServer {
        try LoopbackServer { r in
            let kind = r.path.split(separator: "/").first.map(String.init) ?? ""
            if kind == "html" {
                return .respond(status: 200, headers: [("Content-Type", "text/html")], body: Array("<p>hi</p>".utf8))
            }
            if kind == "rel" { return .json(#"{"links": [{"rel": "next", "href": "../good/items?page=2"}], "n": 4.3}"#) }
            if kind == "empty" {
                return .json(#"{"type": "FeatureCollection", "features": [], "links": [], "end": null}"#)
            }
            let page = Int(r.query.split(separator: "&").first { $0.hasPrefix("page=") }?.dropFirst(5) ?? "1") ?? 1
            let ids = Array(((page - 1) * 2 + 1)...min(page * 2, 5))
            let features = ids.map {
                #"{"type": "Feature", "id": "f\#($0)", "geometry": {"type": "Point", "coordinates": [\#($0), \#($0)]}}"#
            }
            let next = page < 3 ? #", {"rel": "next", "href": "/\#(kind)/items?page=\#(page + 1)"}"# : ""
            let body =
                #"{"type": "FeatureCollection", "features": [\#(features.joined(separator: ","))], "links": [{"rel": "self"}\#(next)]}"#
            // linked: the next page in a Link header only; nomatch: no numberMatched, and page 3 fails.
            if kind == "linked" {
                let link = page < 3 ? [("Link", "</linked/items?page=\(page + 1)>; rel=\"next\"")] : []
                return .json(#"{"type": "FeatureCollection", "features": [\#(features.joined(separator: ","))]}"#, headers: link)
            }
            if kind == "nomatch" { return .json(body, status: page == 3 ? 500 : 200) }
            return .json(
                #"{"type": "FeatureCollection", "numberMatched": \#(kind == "bad" ? 6 : 5), "features": [\#(features.joined(separator: ","))], "links": [{"rel": "self"}\#(next)]}"#
            )
        }
    }

    static func run(_ requirements: String, _ server: LoopbackServer) async throws -> RunReport {
        let p = try ProfileLoader().load(
            text: """
                \(InlineProfile.head(format: "1.1"))
                inputs: {base_url: {}}
                requirements:
                \(requirements)
                """, file: Repository.fixture("loopback/inline.yaml").path)
        var options = RunOptions()
        options.inputs = ["base_url": server.baseURL]
        return try await Runner(profile: p, transport: CurlTransport(), options: options).run()
    }

    static func problems(_ r: RequirementResult) -> [String] {
        r.checks.flatMap(\.evidence).flatMap { e -> [String] in
            if case .exchange(let x) = e { return x.problems }
            return []
        }
    }

    @Test func followCountComparesTheFeaturesOfEveryPageWithNumberMatched() async throws {
        let server = try Self.service()
        defer { server.stop() }
        let report = try await Self.run(
            """
              - id: GOOD
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/good/items"}
                          follow: {next: "$.links[?@.rel == 'next'].href", count: {path: "$.features[*]", equals: "{{matched}}", as: total}}
                          capture: {matched: {jsonpath: $.numberMatched}}
                        - request: {url: "{{base_url}}/good/items"}
                          expect: {assert: [{path: $.numberMatched, equals: "{{total}}"}]}
              - id: BAD
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/bad/items"}
                          follow: {next: "$.links[?@.rel == 'next'].href", count: {path: "$.features[*]", equals: "{{matched}}"}}
                          capture: {matched: {jsonpath: $.numberMatched}}
            """, server)
        #expect(report.requirements.map(\.outcome) == [.passed, .failed])
        #expect(
            Self.problems(report.requirements[1]).contains(
                "$.features[*] selected 5 node(s) over 3 page(s), expected 6 (\"{{matched}}\")"),
            "\(Self.problems(report.requirements[1]))")
    }

    @Test func anAbsentCaptureMakesTheCheckNotApplicableButNeverHidesAFailure() async throws {
        let server = try Self.service()
        defer { server.stop() }
        let report = try await Self.run(
            """
              - id: EMPTY
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/empty/items"}
                          capture: {fid: {jsonpath: "$.features[0].id", absent: not-applicable}}
                        - request: {url: "{{base_url}}/never/{{fid}}"}
                          expect: {status: 200}
              - id: EMPTY-AND-WRONG
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/empty/items"}
                          expect: {assert: [{path: $.type, equals: Feature}]}
                          capture: {fid: {jsonpath: "$.features[0].id", absent: not-applicable}}
              - id: NULL
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/empty/items"}
                          capture: {end: {jsonpath: "$.end", absent: not-applicable}}
                        - request: {url: "{{base_url}}/never/{{end}}"}
                          expect: {status: 200}
              - id: PRESENT
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/good/items"}
                          capture: {fid: {jsonpath: "$.features[0].id", absent: not-applicable}}
                        - request: {url: "{{base_url}}/good/items"}
                          expect: {assert: [{path: "$.features[*].id", includes: "{{fid}}"}]}
            """, server)
        #expect(report.requirements.map(\.outcome) == [.notApplicable, .failed, .notApplicable, .passed])
        #expect(report.requirements[0].checks.first?.message?.contains("selects nothing, so the check does not apply") == true)
        // The second request of EMPTY was never sent.
        #expect(server.requestsServed == 5)
        #expect(report.requirements[2].checks.first?.message?.contains("$.end is null, so the check does not apply") == true)
    }

    @Test func includesAndIntersectsBBoxJudgeTheNodes() async throws {
        let server = try Self.service()
        defer { server.stop() }
        let report = try await Self.run(
            """
              - id: INCLUDED
                title: t
                clause: "1"
                level: MUST
                checks: [{http: {steps: [{request: {url: "{{base_url}}/good/items"}, expect: {assert: [{path: "$.features[*].id", includes: f2}]}}]}}]
              - id: NOT-INCLUDED
                title: t
                clause: "1"
                level: MUST
                checks: [{http: {steps: [{request: {url: "{{base_url}}/good/items"}, expect: {assert: [{path: "$.features[*].id", includes: f5}]}}]}}]
              - id: IN-BOX
                title: t
                clause: "1"
                level: MUST
                checks: [{http: {steps: [{request: {url: "{{base_url}}/good/items"}, expect: {assert: [{path: "$.features[*].geometry", intersects_bbox: "0.5,0.5,2,2"}]}}]}}]
              - id: OUT-OF-BOX
                title: t
                clause: "1"
                level: MUST
                checks: [{http: {steps: [{request: {url: "{{base_url}}/good/items"}, expect: {assert: [{path: "$.features[*].geometry", intersects_bbox: [1.5, 0, 3, 3]}]}}]}}]
              - id: NEAR
                title: t
                clause: "1"
                level: MUST
                checks: [{http: {steps: [{request: {url: "{{base_url}}/good/items"}, expect: {assert: [{path: "$.features[0].geometry.coordinates[*]", near: {value: 1.0000004, tolerance: 0.000001}}]}}]}}]
              - id: NOT-NEAR
                title: t
                clause: "1"
                level: MUST
                checks: [{http: {steps: [{request: {url: "{{base_url}}/good/items"}, expect: {assert: [{path: "$.features[1].geometry.coordinates[0]", near: {value: 2.00001, tolerance: 0.000001}}]}}]}}]
              - id: NOT-A-BOX
                title: t
                clause: "1"
                level: MUST
                checks: [{http: {steps: [{request: {url: "{{base_url}}/good/items"}, expect: {assert: [{path: "$.features[*].geometry", intersects_bbox: "1,2,3"}]}}]}}]
            """, server)
        #expect(report.requirements.map(\.outcome) == [.passed, .failed, .passed, .failed, .passed, .failed, .error])
        #expect(
            Self.problems(report.requirements[5]) == ["2 is not within 1e-06 of 2.00001"],
            "\(Self.problems(report.requirements[5]))")
        #expect(Self.problems(report.requirements[1]) == [#"none of the 2 node(s) $.features[*].id selects equals "f5""#])
        #expect(
            Self.problems(report.requirements[3]).first?.hasPrefix(
                #"{"type":"Point","coordinates":[1,1]} does not intersect the box"#)
                == true, "\(Self.problems(report.requirements[3]))")
        #expect(Self.problems(report.requirements[6]).first?.contains("a bounding box has 4 or 6 numbers, not 3") == true)
    }

    /// A body that is not JSON never makes a may-be-absent capture not applicable; resolve turns a relative href
    /// into a URL against the response's; add moves a number; later pages' captures are not read.
    @Test func captureOptionsKeepFailuresAndResolveLinks() async throws {
        let server = try Self.service()
        defer { server.stop() }
        let report = try await Self.run(
            """
              - id: HTML
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/html/x"}
                          expect: {status: 200}
                          capture: {fid: {jsonpath: "$.features[0].id", absent: not-applicable}}
              - id: RESOLVED
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/rel/items"}
                          expect: {status: 200}
                          capture:
                            next: {jsonpath: "$.links[0].href", resolve: true}
                            lo: {jsonpath: $.n, add: -0.000001}
                        - request: {url: "{{next}}"}
                          expect:
                            status: 200
                            assert: [{path: "$.features[*].id", includes: f3}, {path: $.numberMatched, equals: 5}]
                        - request: {url: "{{base_url}}/good/items", query: {bbox: "{{lo}}"}}
                          expect: {status: 200}
              - id: FIRST-PAGE-ONLY
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        # page 1 has f1; a capture read on page 2 (f3, f4) would fail: captures come from page 1
                        - request: {url: "{{base_url}}/good/items"}
                          follow: {next: "$.links[?@.rel == 'next'].href"}
                          expect: {status: 200}
                          capture: {first: {jsonpath: "$.features[?@.id == 'f1'].id"}}
            """, server)
        #expect(report.requirements.map(\.outcome) == [.failed, .passed, .passed], "\(report.requirements.map(\.checks))")
        #expect(Self.problems(report.requirements[0]).contains { $0.contains("the body is not JSON") })
        // The relative href ../good/items?page=2 against /rel/items, and 4.3 - 0.000001 in fixed notation.
        let urls = report.requirements[1].checks.flatMap(\.evidence).compactMap { e -> String? in
            if case .exchange(let x) = e { return x.url }
            return nil
        }
        #expect(urls.contains("\(server.baseURL)/good/items?page=2"), "\(urls)")
        #expect(urls.contains("\(server.baseURL)/good/items?bbox=4.299999"), "\(urls)")
    }

    /// Paging through Link headers still parses the body to count; an absent capture on the first page
    /// leaves the later pages judged (a failing page fails); near is decimal, its tolerance included.
    @Test func countingAndAbsenceAcrossPages() async throws {
        let server = try Self.service()
        defer { server.stop() }
        let report = try await Self.run(
            """
              - id: LINKED
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/linked/items"}
                          follow: {link_rel: next, count: {path: "$.features[*]", equals: 5}}
                          expect: {status: 200}
              - id: NO-MATCHED-BUT-A-FAILING-PAGE
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/nomatch/items"}
                          follow: {next: "$.links[?@.rel == 'next'].href", count: {path: "$.features[*]", equals: "{{m}}"}}
                          expect: {status: 200}
                          capture: {m: {jsonpath: $.numberMatched, absent: not-applicable}}
              - id: NO-MATCHED
                title: t
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/linked/items"}
                          follow: {link_rel: next, count: {path: "$.features[*]", equals: "{{m}}"}}
                          expect: {status: 200}
                          capture: {m: {jsonpath: $.numberMatched, absent: not-applicable}}
              - id: NEAR-EDGE
                title: t
                clause: "1"
                level: MUST
                checks: [{http: {steps: [{request: {url: "{{base_url}}/rel/items"}, expect: {assert: [{path: $.n, near: {value: 4.300001, tolerance: 0.000001}}]}}]}}]
            """, server)
        #expect(
            report.requirements.map(\.outcome) == [.passed, .failed, .notApplicable, .passed],
            "\(report.requirements.map(\.checks))")
        #expect(
            Self.problems(report.requirements[1]).contains("status 500, expected 200"), "\(Self.problems(report.requirements[1]))"
        )
        #expect(report.requirements[2].checks.first?.message?.contains("selects nothing, so the check does not apply") == true)
    }

    @Test func theLoaderRefusesWhatCannotWork() throws {
        func refused(_ step: String) -> String {
            let text = """
                \(InlineProfile.head(format: "1.1"))
                inputs: {base_url: {}}
                requirements:
                  - {id: A, title: a, clause: "1", level: MUST, checks: [{http: {steps: [\(step)]}}]}
                """
            do {
                _ = try ProfileLoader().load(text: text, file: Repository.fixture("loopback/inline.yaml").path)
                return "loaded"
            } catch { return "\(error)" }
        }
        #expect(
            refused(#"{request: {url: "{{base_url}}"}, capture: {a: {jsonpath: $.a, all: true, absent: not-applicable}}}"#)
                .contains("absent does not apply"))
        #expect(
            refused(#"{request: {url: "{{base_url}}"}, capture: {a: {jsonpath: $.a, absent: maybe}}}"#).contains("absent is fail")
        )
        #expect(
            refused(
                #"{request: {url: "{{base_url}}"}, follow: {next: $.n, at_limit: stop, count: {path: "$.f[*]", as: n}}, expect: {status: 200}}"#
            )
            .contains("with at_limit: stop"))
        #expect(
            refused(#"{request: {url: "{{base_url}}"}, follow: {next: $.n, count: {path: "$.f[*]"}}, expect: {status: 200}}"#)
                .contains("needs as"))
        #expect(
            refused(
                #"{request: {url: "{{base_url}}"}, follow: {next: $.n, count: {path: "$.f[*]", equals: "n={{x}}"}}, expect: {status: 200}}"#
            )
            .contains("a whole number or a variable alone"))
        #expect(
            refused(#"{request: {url: "{{base_url}}"}, expect: {assert: [{path: $.g, intersects_bbox: 4}]}}"#).contains(
                "intersects_bbox needs a box"))
        #expect(
            refused(
                #"{request: {url: "{{base_url}}"}, eventually: {within: 2s}, capture: {a: {jsonpath: $.a, absent: not-applicable}}}"#
            )
            .contains("the first try would end the polling"))
        #expect(
            refused(#"{request: {url: "{{base_url}}"}, capture: {a: {jsonpath: $.a, all: true, add: 1}}}"#).contains(
                "not with all"))
        #expect(
            refused(#"{request: {url: "{{base_url}}"}, follow: {next: $.n, count: {path: "$.f[*]", equals: 3}}}"#).contains(
                "expects nothing"))
        #expect(
            refused(
                #"{request: {url: "{{base_url}}"}, expect: {status: 200}, follow: {next: $.n, count: {path: "$.f[*]", equals: -1}}}"#
            )
            .contains("of 0 or more"))
        #expect(
            refused(#"{request: {url: "{{base_url}}"}, capture: {a: {regex: "x(.)", absent: not-applicable}}}"#).contains(
                "absent applies to"))
        #expect(
            refused(#"{request: {url: "{{base_url}}"}, capture: {a: {jsonpath: $.a, resolve: true, add: 1}}}"#).contains(
                "not both"))
    }
}
