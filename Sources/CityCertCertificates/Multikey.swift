import Foundation

/// Base58 with the Bitcoin alphabet (multibase prefix `z`), as Multikey and Data Integrity proofs use it.
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    static let index: [UInt8: Int] = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($1, $0) })

    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        var digits: [Int] = []  // base 58, least significant first
        for byte in bytes {
            var carry = Int(byte)
            for i in digits.indices {
                carry += digits[i] << 8
                digits[i] = carry % 58
                carry /= 58
            }
            while carry > 0 {
                digits.append(carry % 58)
                carry /= 58
            }
        }
        return String(repeating: "1", count: zeros) + String(decoding: digits.reversed().map { alphabet[$0] }, as: UTF8.self)
    }

    /// nil when a character is outside the alphabet, or the text is longer than `maxLength` (decoding is
    /// quadratic: keys and signatures are under 100 characters, a hostile 1 MiB string would take hours).
    public static func decode(_ text: String, maxLength: Int = 128) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count <= maxLength else { return nil }
        let zeros = chars.prefix { $0 == UInt8(ascii: "1") }.count
        var bytes: [Int] = []  // base 256, least significant first
        for c in chars {
            guard var carry = index[c] else { return nil }
            for i in bytes.indices {
                carry += bytes[i] * 58
                bytes[i] = carry & 0xff
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(carry & 0xff)
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes.reversed().map { UInt8($0) }
    }
}

/// An Ed25519 key pair in the Multikey encoding (W3C Controlled Identifiers §2.2.2): the public key is
/// `z` + base58btc(0xed 0x01 + 32 bytes), the secret key `z` + base58btc(0x80 0x26 + 32 bytes). The key
/// files citycert writes are JSON objects with `publicKeyMultibase` (and, private, `secretKeyMultibase`).
public enum Multikey {
    static let publicPrefix: [UInt8] = [0xed, 0x01]
    static let secretPrefix: [UInt8] = [0x80, 0x26]

    public static func encodePublic(_ raw: [UInt8]) -> String { "z" + Base58.encode(publicPrefix + raw) }
    public static func encodeSecret(_ raw: [UInt8]) -> String { "z" + Base58.encode(secretPrefix + raw) }

    public static func decodePublic(_ text: String) -> [UInt8]? { decode(text, prefix: publicPrefix) }
    public static func decodeSecret(_ text: String) -> [UInt8]? { decode(text, prefix: secretPrefix) }

    static func decode(_ text: String, prefix: [UInt8]) -> [UInt8]? {
        guard text.hasPrefix("z"), let bytes = Base58.decode(String(text.dropFirst())), bytes.count == 34,
            Array(bytes.prefix(2)) == prefix
        else { return nil }
        return Array(bytes.dropFirst(2))
    }

    /// The `did:key` identifier of a public key, and its verification method (`did:key:z…#z…`).
    public static func did(_ publicMultibase: String) -> String { "did:key:" + publicMultibase }
    public static func verificationMethod(_ publicMultibase: String) -> String { did(publicMultibase) + "#" + publicMultibase }
}
