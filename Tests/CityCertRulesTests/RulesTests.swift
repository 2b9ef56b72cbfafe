import CityCertJSON
import CityCertTestSupport
import Foundation
import Testing

@testable import CityCertRules

@Suite struct RuleRegistryTests {
    @Test func idsAreUniqueAndNamespaced() {
        let ids = RuleRegistry.ids
        #expect(Set(ids).count == ids.count)
        for id in ids { #expect(id.split(separator: "/").count == 2, "\(id)") }
        for d in RuleRegistry.all {
            #expect(!d.summary.isEmpty && !d.reference.isEmpty, "\(d.id)")
        }
    }

    /// The rule table in Profiles/FORMAT.md is the registry's (`citycert list --rules` prints it).
    @Test func formatDocumentListsEveryRule() throws {
        let doc = try String(contentsOf: Repository.profile("FORMAT.md"), encoding: .utf8)
        #expect(doc.contains(RuleRegistry.markdownRows))
    }
}

@Suite struct EntityShapeTests {
    func json(_ s: String) throws -> JSONValue { try JSONValue.parse(s) }

    @Test func representationsAreDetected() throws {
        #expect(EntityShape.detect(try json(#"{"id":"a","type":"T","n":1}"#)) == .keyValues)
        #expect(EntityShape.detect(try json(#"{"id":"a","type":"T","n":1,"@context":"x"}"#)) == .ldKeyValues)
        #expect(EntityShape.detect(try json(#"{"id":"a","type":"T","n":{"type":"Number","value":1}}"#)) == .v2Normalized)
        #expect(EntityShape.detect(try json(#"{"id":"a","type":"T","n":{"type":"Property","value":1}}"#)) == .ldNormalized)
        #expect(
            EntityShape.detect(try json(#"{"id":"a","type":"T","n":[{"type":"Property","value":1,"datasetId":"urn:x"}]}"#))
                == .ldNormalized)
        #expect(EntityShape.detect(try json(#"{"type":"Feature","geometry":null,"properties":{}}"#)) == .geoJSON)
        // A keyValues location object (GeoJSON, no "value") does not make an entity normalized.
        #expect(
            EntityShape.detect(try json(#"{"id":"a","type":"T","location":{"type":"Point","coordinates":[1,2]}}"#)) == .keyValues)
    }

    @Test func modelIsTheTypeOrTheLastSegmentOfItsIRI() throws {
        #expect(EntityShape.model(try json(#"{"type":"ParkingSpot"}"#)) == "ParkingSpot")
        #expect(
            EntityShape.model(try json(#"{"type":"https://smartdatamodels.org/dataModel.Parking/ParkingSpot"}"#)) == "ParkingSpot"
        )
        #expect(EntityShape.model(try json(#"{"type":5}"#)) == nil)
    }

    @Test func aGeoJSONFeatureIsProjectedFromItsProperties() throws {
        let feature = try json(
            #"{"id":"urn:a","type":"Feature","geometry":null,"properties":{"type":"T","n":{"type":"Property","value":3},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]}}}}"#
        )
        #expect(EntityShape.detect(feature) == .geoJSON)
        #expect(EntityShape.model(feature) == "T")
        let p = EntityShape.projectKeyValues(feature)
        #expect(p.value == (try json(#"{"id":"urn:a","type":"T","n":3,"location":{"type":"Point","coordinates":[1,2]}}"#)))
        #expect(p.source(of: JSONPointer(tokens: ["n"])).description == "/properties/n/value")
        #expect(p.source(of: JSONPointer(tokens: ["id"])).description == "/id")
        #expect(p.source(of: JSONPointer(tokens: ["type"])).description == "/properties/type")
    }

    @Test func projectionMapsFindingsBackToTheValue() throws {
        let ld = try json(
            #"{"id":"urn:a","type":"T","@context":["c"],"n":{"type":"Property","value":{"@type":"DateTime","@value":"2020"},"observedAt":"x"},"r":{"type":"Relationship","object":"urn:b"},"m":[{"type":"Property","value":1,"datasetId":"urn:d"},{"type":"Property","value":2}]}"#
        )
        let p = EntityShape.projectKeyValues(ld)
        #expect(p.value == (try json(#"{"id":"urn:a","type":"T","n":"2020","r":"urn:b","m":2}"#)))
        #expect(p.source(of: JSONPointer(tokens: ["n"])).description == "/n/value")
        #expect(p.source(of: JSONPointer(tokens: ["r"])).description == "/r/object")
        #expect(p.source(of: JSONPointer(tokens: ["m"])).description == "/m/1/value")
        let v2 = try json(#"{"id":"a","type":"T","n":{"type":"Number","value":[1,2],"metadata":{}}}"#)
        let q = EntityShape.projectKeyValues(v2)
        #expect(q.value == (try json(#"{"id":"a","type":"T","n":[1,2]}"#)))
        #expect(q.source(of: JSONPointer(tokens: ["n", "1"])).description == "/n/value/1")
    }
}

@Suite struct GeoJSONRuleTests {
    func findings(_ rule: some DocumentRule, _ text: String) throws -> [String] {
        var out: [String] = []
        rule.check(try JSONValue.parse(text)) { p, m in out.append("\(p) \(m)") }
        return out
    }

    @Test func rightHandRule() throws {
        let ccw = #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#
        let cw = #"{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]]}"#
        let ccwHole = #"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}"#
        #expect(try findings(GeoJSONRightHandRule(), ccw).isEmpty)
        #expect(
            try findings(GeoJSONRightHandRule(), cw) == [
                "/coordinates/0 the exterior ring is clockwise; the right-hand rule makes it counterclockwise"
            ])
        #expect(try findings(GeoJSONRightHandRule(), ccwHole).map { String($0.prefix(15)) } == ["/coordinates/1 "])
    }

    @Test func ringsAreClosedWithFourPositions() throws {
        #expect(try findings(GeoJSONLinearRing(), #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0.0]]]}"#).isEmpty)
        #expect(
            try findings(GeoJSONLinearRing(), #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#)
                == ["/coordinates/0/3 the linear ring is not closed: its last position [0,1] differs from its first [0,0]"])
        #expect(try findings(GeoJSONLinearRing(), #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#).count == 1)
    }

    @Test func bboxAcrossTheAntimeridianContainsItsPoints() throws {
        let fiji =
            #"{"type":"Feature","bbox":[177.0,-20.0,-178.0,-16.0],"properties":null,"geometry":{"type":"MultiPoint","coordinates":[[178,-18],[-179,-17]]}}"#
        #expect(try findings(GeoJSONBoundingBox(), fiji).isEmpty)
        let swapped = #"{"type":"Point","bbox":[10,50,11,51],"coordinates":[50.5,10.5]}"#
        #expect(try findings(GeoJSONBoundingBox(), swapped).count == 1)
        #expect(try findings(GeoJSONBoundingBox(), #"{"type":"Point","bbox":[0,0,1],"coordinates":[0,0]}"#).count == 1)
    }

    @Test func positionsAndNesting() throws {
        #expect(try findings(GeoJSONPosition(), #"{"type":"Point","coordinates":[1]}"#).count == 1)
        #expect(try findings(GeoJSONPosition(), #"{"type":"Point","coordinates":[]}"#).isEmpty)
        #expect(try findings(GeoJSONGeometryShape(), #"{"type":"LineString","coordinates":[1,2]}"#).count == 2)
        #expect(try findings(GeoJSONGeometryShape(), #"{"type":"Point","coordinates":[[1,2]]}"#).count == 1)
        #expect(try findings(GeoJSONObjectType(), #"{"type":"point","coordinates":[1,2]}"#).first?.contains("\"Point\"") == true)
    }
}

@Suite struct EntityAgreementTests {
    @Test func differingFormsAreReportedAtTheAttributeWithTheReferenceForm() throws {
        let kv = try JSONDocument(string: #"{"id":"e1","type":"T","a":1,"b":"x"}"#)
        let norm = try JSONDocument(
            string:
                "{\"id\":\"e1\",\"type\":\"T\",\n\"a\":{\"type\":\"Property\",\"value\":2},\"c\":{\"type\":\"Property\",\"value\":3}}"
        )
        let session = EntityRepresentationsAgree().makeSession()
        var found: [String] = []
        // Visit in the "wrong" order: the keyValues form is still the reference.
        for (doc, file) in [(norm, "n.jsonld"), (kv, "k.json")] {
            session.visit(
                RuleDocument(
                    root: doc.root, file: file, locate: { doc.location(of: $0) ?? SourceLocation(line: 0, column: 0, offset: 0) })
            ) { _ in }
        }
        session.finish { f in found.append("\(f.file ?? "?"):\(f.location?.description ?? "?") \(f.pointer) \(f.message)") }
        #expect(found.count == 3)
        #expect(found[0].hasPrefix("n.jsonld:2:32 /a entity e1: 'a' differs from k.json:1:27"))
        #expect(found[1].hasPrefix("n.jsonld:2:66 /c entity e1: attribute 'c' is not in the keyValues form"))
        #expect(found[2].hasPrefix("n.jsonld:1:1  entity e1: attribute 'b' of the keyValues form"))
    }
}

@Suite struct NGSILDRuleTests {
    func findings(_ rule: some DocumentRule, _ text: String) throws -> [String] {
        var out: [String] = []
        rule.check(try JSONValue.parse(text)) { p, m in out.append("\(p) \(m)") }
        return out
    }

    @Test func dateTimesAreUTCWithEveryComponent() {
        for ok in ["2018-08-07T12:00:00Z", "2018-08-07T12:00:00.123456Z", "2020-02-29T23:59:60Z", "2018-08-07T12:00:00,5Z"] {
            #expect(NGSILD.isDateTime(ok), "\(ok)")
        }
        for bad in [
            "2018-08-07T12:00:00", "2018-08-07T12:00:00+01:00", "2018-08-07T12:00Z", "2018-08-07T12:00:00.1234567Z",
            "2019-02-29T00:00:00Z", "2018-13-01T00:00:00Z", "2018-08-07 12:00:00Z",
        ] {
            #expect(!NGSILD.isDateTime(bad), "\(bad)")
        }
    }

    @Test func attributeShapes() throws {
        let entity = #"""
            {"id": "urn:a", "type": "T",
             "p": {"type": "Property"},
             "r": {"type": "Relationship", "object": "not a uri", "unitCode": "MTR"},
             "g": {"type": "GeoProperty", "value": {"type": "GeometryCollection", "geometries": []}},
             "ok": {"type": "Property", "value": 1, "sub": {"type": "Relationship", "object": ["urn:b", "urn:c"]}},
             "deep": {"type": "Property", "value": 1, "sub": {"type": "Property", "value": null}}}
            """#
        #expect(
            try findings(NGSILDAttributeShape(), entity) == [
                "/p the Property 'p' has no \"value\"",
                "/r/object a Relationship's object is a URI; found 'not a uri'",
                "/r/unitCode a Relationship has no \"unitCode\" (relationships are unitless)",
                "/g/value/type a GeoProperty's geometry may not be a GeometryCollection",
                "/deep/sub/value \"value\" is null (NGSI-LD members admit no null)",
            ])
        #expect(try findings(NGSILDEntityIDType(), #"{"id": "x y", "type": []}"#).count == 2)
        #expect(
            try findings(NGSILDReservedNames(), #"{"id": "urn:a", "type": "T", "datasetId": 1, "@graph": 2, "createdAt": "x"}"#)
                .count == 2)
    }
}

@Suite struct GeoJSONHostileInputTests {
    /// An upside-down bbox is reported, not a crash (a Swift range with lower > upper traps).
    @Test func anUpsideDownBoxIsAFinding() throws {
        var out: [String] = []
        GeoJSONBoundingBox().check(try JSONValue.parse(#"{"type":"Point","coordinates":[0.5,7],"bbox":[0,10,1,5]}"#)) { p, m in
            out.append("\(p) \(m)")
        }
        #expect(out.count == 1)
        #expect(out.first?.contains("south 10 is greater than north 5") == true)
    }

    @Test func jsonHashesTellShapesApart() throws {
        #expect(
            JSONValue.array([.string("ab"), .string("c")]).hashValue != JSONValue.array([.string("a"), .string("bc")]).hashValue)
        #expect(JSONValue.null.hashValue != JSONValue.array([]).hashValue)
    }
}
