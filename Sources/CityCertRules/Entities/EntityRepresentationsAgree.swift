import CityCertJSON
import Synchronization

/// The representations of one entity (same `id`) carry the same attributes with the same values
/// once projected to keyValues.
struct EntityRepresentationsAgree: DataRule {
    static let descriptor = RuleDescriptor(
        id: "ngsi/representations-agree",
        summary:
            "documents that represent the same entity (same id) in different representations carry the same attributes with the same values once reduced to keyValues",
        reference: "ETSI GS CIM 009 §4.5 (entity representations); NGSI v2 §keyValues",
        make: { _ in EntityRepresentationsAgree() })

    func makeSession() -> any RuleSession { Session() }

    struct Attribute {
        let hash: Int
        let location: SourceLocation
    }

    struct Form {
        let file: String
        let location: SourceLocation
        let representation: EntityRepresentation
        let attributes: [String: Attribute]
        let order: [String]
    }

    final class Session: RuleSession {
        let forms = Mutex<[String: [Form]]>([:])

        func visit(_ document: RuleDocument, report: (RuleFinding) -> Void) {
            guard case .string(let id)? = document.root["id"] else { return }
            let representation = EntityShape.detect(document.root)
            // A FeatureCollection holds many entities; a single Feature is one entity.
            if representation == .geoJSON, document.root["type"]?.stringValue != "Feature" { return }
            let projection = EntityShape.projectKeyValues(document.root, as: representation)
            guard case .object(let o) = projection.value else { return }
            var attributes: [String: Attribute] = [:]
            var order: [String] = []
            for (k, v) in o.uniqueEntries where k != "id" {
                let at = document.locate(projection.source(of: JSONPointer.root.appending(k)))
                attributes[k] = Attribute(hash: v.hashValue, location: at)
                order.append(k)
            }
            let form = Form(
                file: document.file, location: document.locate(.root), representation: representation,
                attributes: attributes, order: order)
            forms.withLock { $0[id, default: []].append(form) }
        }

        func finish(report: (RuleFinding) -> Void) {
            let all = forms.withLock { $0 }
            for id in all.keys.sorted() {
                guard var group = all[id], group.count > 1 else { continue }
                group.sort { ($0.file, $0.location.offset) < ($1.file, $1.location.offset) }
                // The keyValues form is the reference when there is one.
                let refIndex =
                    group.firstIndex { $0.representation == .keyValues }
                    ?? group.firstIndex { $0.representation == .ldKeyValues } ?? 0
                let ref = group[refIndex]
                let refName = "the \(ref.representation.rawValue) form at \(ref.file):\(ref.location)"
                for (i, other) in group.enumerated() where i != refIndex {
                    for k in other.order {
                        let a = other.attributes[k]!
                        guard let b = ref.attributes[k] else {
                            report(
                                RuleFinding(
                                    pointer: JSONPointer.root.appending(k),
                                    message: "entity \(id): attribute '\(k)' is not in \(refName)",
                                    file: other.file, location: a.location))
                            continue
                        }
                        if a.hash != b.hash {
                            report(
                                RuleFinding(
                                    pointer: JSONPointer.root.appending(k),
                                    message: "entity \(id): '\(k)' differs from \(ref.file):\(b.location) in \(refName)",
                                    file: other.file, location: a.location))
                        }
                    }
                    for k in ref.order where other.attributes[k] == nil {
                        report(
                            RuleFinding(
                                pointer: .root,
                                message:
                                    "entity \(id): attribute '\(k)' of \(refName) is missing from this \(other.representation.rawValue) form",
                                file: other.file, location: other.location))
                    }
                }
            }
        }
    }
}
