import Foundation

/// Every rule a profile can name with `rule:`, in one table (documented in Profiles/FORMAT.md;
/// a test keeps the two in step).
public enum RuleRegistry {
    public static let all: [RuleDescriptor] = [
        // GeoJSON (RFC 7946)
        GeoJSONObjectType.descriptor,
        GeoJSONGeometryShape.descriptor,
        GeoJSONPosition.descriptor,
        GeoJSONPositionElements.descriptor,
        GeoJSONPositionRange.descriptor,
        GeoJSONLineString.descriptor,
        GeoJSONLinearRing.descriptor,
        GeoJSONRightHandRule.descriptor,
        GeoJSONFeature.descriptor,
        GeoJSONFeatureCollection.descriptor,
        GeoJSONBoundingBox.descriptor,
        GeoJSONNoCRS.descriptor,
        GeoJSONMemberSemantics.descriptor,
        GeoJSONGeometryCollectionNesting.descriptor,
        GeoJSONAntimeridian.descriptor,
        // NGSI entities (Smart Data Models, NGSI-LD, NGSI-v2)
        EntityRepresentationsAgree.descriptor,
        JSONLDTermsDefined.descriptor,
        // NGSI-LD entities (ETSI GS CIM 009)
        NGSILDEntityIDType.descriptor,
        NGSILDAttributeShape.descriptor,
        NGSILDDateTime.descriptor,
        NGSILDDatasetID.descriptor,
        NGSILDUnitCode.descriptor,
        NGSILDReservedNames.descriptor,
        NGSILDContextPlacement.descriptor,
        // OCPP-J message logs
        OCPPFrameShape.descriptor,
        OCPPUniqueID.descriptor,
        OCPPResponseMatchesCall.descriptor,
        OCPPPayloadSchema.descriptor,
        OCPPErrorCode.descriptor,
    ]

    static let byID: [String: RuleDescriptor] = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

    public static func descriptor(_ id: String) -> RuleDescriptor? { byID[id] }
    public static var ids: [String] { all.map(\.id) }
}

extension RuleRegistry {
    /// The rows of the rule table in Profiles/FORMAT.md (`citycert list --rules`).
    public static var markdownRows: String {
        all.map { d in
            let params =
                d.parameters.isEmpty
                ? ""
                : d.parameters.map { "`\($0.name)`\($0.required ? "" : " (optional)"): \($0.summary)" }.joined(separator: "; ")
            return
                "| `\(d.id)` | \(params.replacingOccurrences(of: "|", with: "\\|")) | \(d.summary.replacingOccurrences(of: "|", with: "\\|")) | \(d.reference) |\n"
        }.joined()
    }
}
