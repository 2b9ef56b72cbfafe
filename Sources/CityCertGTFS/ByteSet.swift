/// An interning table of byte strings (IDs of a GTFS file): each distinct string gets a dense Int32
/// id, stored once in an arena, found by open addressing on an FNV-1a hash. No String per value.
/// A class, so that looking a value up never copies (and reference-counts) its arrays; it is used by
/// one validating thread at a time.
public final class ByteSet: @unchecked Sendable {
    @exclusivity(unchecked) var arena: [UInt8] = []
    @exclusivity(unchecked) var starts: [Int] = []  // start of value i in arena; value i ends at starts[i+1] or arena.count
    @exclusivity(unchecked) var slots: [Int32]  // -1 empty, else value index
    @exclusivity(unchecked) var hashes: [UInt32] = []

    public init(capacity: Int = 64) {
        var n = 64
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: -1, count: n)
    }

    public var count: Int { starts.count }

    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for c in b { h = (h ^ UInt32(c)) &* 16_777_619 }
        return h
    }

    func equals(_ i: Int, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = Int(starts[i])
        let e = i + 1 < starts.count ? Int(starts[i + 1]) : arena.count
        guard e - s == b.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            for k in 0..<b.count where a[s + k] != b[k] { return false }
            return true
        }
    }

    /// The id of the bytes, or nil.
    public func find(_ b: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = Self.hash(b)
        let mask = slots.count - 1
        var i = Int(h) & mask
        while true {
            let v = slots[i]
            if v < 0 { return nil }
            if hashes[Int(v)] == h && equals(Int(v), b) { return v }
            i = (i + 1) & mask
        }
    }

    /// Inserts the bytes; returns (id, inserted).
    @discardableResult
    public func insert(_ b: UnsafeBufferPointer<UInt8>) -> (id: Int32, inserted: Bool) {
        if (starts.count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(b)
        let mask = slots.count - 1
        var i = Int(h) & mask
        while true {
            let v = slots[i]
            if v < 0 { break }
            if hashes[Int(v)] == h && equals(Int(v), b) { return (v, false) }
            i = (i + 1) & mask
        }
        // Ids are Int32 (dense tables per row); a file with more distinct values than that is refused
        // by the validator's row limit long before, and clamping keeps a hostile one from trapping.
        let id = Int32(clamping: starts.count)
        starts.append(arena.count)
        arena.append(contentsOf: b)
        hashes.append(h)
        slots[i] = id
        return (id, true)
    }

    public func insert(_ s: String) -> (id: Int32, inserted: Bool) {
        var s = s
        return s.withUTF8 { insert($0) }
    }

    public func contains(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { find($0) != nil }
    }

    func grow() {
        var n = slots.count * 2
        if n == 0 { n = 64 }
        slots = [Int32](repeating: -1, count: n)
        let mask = n - 1
        for (v, h) in hashes.enumerated() {
            var i = Int(h) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(v)
        }
    }
}
