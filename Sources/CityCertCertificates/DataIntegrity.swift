import CityCertCore
public import CityCertJSON
import Crypto
import Foundation

/// The `eddsa-jcs-2022` cryptosuite of W3C Data Integrity EdDSA Cryptosuites v1.0 (§3.3): the document
/// and the proof options are canonicalized with RFC 8785 (JCS), each hashed with SHA-256, the proof
/// options' hash first; Ed25519 signs the 64 bytes; `proofValue` is the multibase base58btc signature.
public enum EddsaJcs2022 {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// The bytes Ed25519 signs: SHA-256(JCS(proof options)) || SHA-256(JCS(document without proof)).
    public static func hashData(document: JSONValue, proofOptions: JSONValue) -> [UInt8] {
        SHA256.digest(JSONSerializer.bytes(proofOptions, style: .canonical))
            + SHA256.digest(JSONSerializer.bytes(document, style: .canonical))
    }

    /// `document` with a proof made with `secretKey` (32 bytes). The proof options carry the document's
    /// `@context` (the suite requires it when the document has one).
    public static func sign(
        _ document: JSONValue, secretKey: [UInt8], verificationMethod: String, created: String
    ) throws -> JSONValue {
        guard case .object(let object) = document else { throw Failure("only a JSON object can be signed") }
        var options: [(String, JSONValue)] = [
            ("type", .string("DataIntegrityProof")), ("cryptosuite", .string("eddsa-jcs-2022")), ("created", .string(created)),
            ("verificationMethod", .string(verificationMethod)), ("proofPurpose", .string("assertionMethod")),
        ]
        if let context = document["@context"] { options.append(("@context", context)) }
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: secretKey)
        let signature = try key.signature(for: hashData(document: document, proofOptions: .object(options)))
        let proof = JSONValue.object(options + [("proofValue", .string("z" + Base58.encode(Array(signature))))])
        return .object(object.entries.filter { $0.key != "proof" }.map { ($0.key, $0.value) } + [("proof", proof)])
    }

    /// Checks `secured`'s proof with the public key `publicKey` (32 bytes): the suite, the purpose, that the
    /// proof's `@context` is the document's, and the signature over the document as it is (without proof).
    public static func verify(_ secured: JSONValue, publicKey: [UInt8]) throws(Failure) {
        guard case .object(let object) = secured, case .object(let proof)? = secured["proof"] else {
            throw Failure("no proof")
        }
        guard proof["type"] == .string("DataIntegrityProof"), proof["cryptosuite"] == .string("eddsa-jcs-2022") else {
            throw Failure("the proof is not a DataIntegrityProof of the eddsa-jcs-2022 cryptosuite")
        }
        guard proof["proofPurpose"] == .string("assertionMethod") else {
            throw Failure("the proof's purpose is not assertionMethod")
        }
        guard case .string(let value)? = proof["proofValue"], value.hasPrefix("z"),
            let signature = Base58.decode(String(value.dropFirst())), signature.count == 64
        else { throw Failure("the proofValue is not a multibase base58btc Ed25519 signature") }
        let document = JSONValue.object(object.entries.filter { $0.key != "proof" }.map { ($0.key, $0.value) })
        if let context = document["@context"], proof["@context"] != context {
            throw Failure("the proof's @context differs from the document's")
        }
        let options = JSONValue.object(proof.entries.filter { $0.key != "proofValue" }.map { ($0.key, $0.value) })
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else {
            throw Failure("not an Ed25519 public key")
        }
        guard key.isValidSignature(signature, for: hashData(document: document, proofOptions: options)) else {
            throw Failure("the signature does not match the document")
        }
    }
}
