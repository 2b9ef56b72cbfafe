import Foundation

/// Reads a zip's end records and central directory before ZIPFoundation does, and refuses offsets and
/// sizes that point past the file, a central directory that does not hold the entries it declares,
/// and duplicate names: crafted values there would otherwise trap inside the library (huge ZIP64
/// offsets converted to `off_t`, overflowing sums) instead of giving a clear error.
enum ZipPrecheck {
    static func validate(_ path: String, maxEntries: Int) throws(FeedError) {
        func fail(_ why: String) -> FeedError { FeedError(path: path, message: "not a well-formed zip archive: \(why)") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FeedError(path: path, message: "cannot open") }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        guard size >= 22 else { throw fail("too short for an end of central directory record") }
        func read(_ offset: UInt64, _ count: Int) throws(FeedError) -> [UInt8] {
            let (end, overflow) = offset.addingReportingOverflow(UInt64(count))
            guard !overflow, end <= size else { throw fail("a record at offset \(offset) runs past the end of the file") }
            do {
                try handle.seek(toOffset: offset)
                let data = try handle.read(upToCount: count) ?? Data()
                guard data.count == count else { throw fail("short read at offset \(offset)") }
                return Array(data)
            } catch let e as FeedError {
                throw e
            } catch {
                throw fail("cannot read at offset \(offset): \(error)")
            }
        }
        func u16(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(b[i]) | UInt64(b[i + 1]) << 8 }
        func u32(_ b: [UInt8], _ i: Int) -> UInt64 { u16(b, i) | u16(b, i + 2) << 16 }
        func u64(_ b: [UInt8], _ i: Int) -> UInt64 { u32(b, i) | u32(b, i + 4) << 32 }

        // End of central directory: the last signature 0x06054b50 within the final 64 KiB + 22 bytes.
        let tailLength = Int(min(size, 65_557))
        let tail = try read(size - UInt64(tailLength), tailLength)
        var eocd = -1
        var i = tailLength - 22
        while i >= 0 {
            if tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 0x05 && tail[i + 3] == 0x06 {
                eocd = i
                break
            }
            i -= 1
        }
        guard eocd >= 0 else { throw fail("no end of central directory record") }
        var entries = u16(tail, eocd + 10)
        var cdSize = u32(tail, eocd + 12)
        var cdOffset = u32(tail, eocd + 16)
        if entries == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            // ZIP64: the locator sits just before the end record.
            guard eocd >= 20, tail[eocd - 20] == 0x50, tail[eocd - 19] == 0x4B, tail[eocd - 18] == 0x06, tail[eocd - 17] == 0x07
            else {
                throw fail("ZIP64 values without a ZIP64 locator")
            }
            let zip64At = u64(tail, eocd - 20 + 8)
            guard zip64At < size else { throw fail("the ZIP64 end record offset \(zip64At) is past the end of the file") }
            let z = try read(zip64At, 56)
            guard z[0] == 0x50, z[1] == 0x4B, z[2] == 0x06, z[3] == 0x06 else {
                throw fail("no ZIP64 end record where the locator points")
            }
            entries = u64(z, 32)
            cdSize = u64(z, 40)
            cdOffset = u64(z, 48)
        }
        guard entries <= UInt64(maxEntries) else {
            throw FeedError(path: path, message: "more than \(maxEntries) entries: refused (zip bomb guard)")
        }
        let (cdEnd, overflow) = cdOffset.addingReportingOverflow(cdSize)
        guard !overflow, cdEnd <= size else {
            throw fail("the central directory (offset \(cdOffset), size \(cdSize)) runs past the end of the file")
        }
        guard cdSize <= 64 << 20 else { throw fail("a central directory of \(cdSize) bytes") }
        let cd = try read(cdOffset, Int(cdSize))
        var p = 0
        var seen = Set<String>()
        var count: UInt64 = 0
        while p + 46 <= cd.count {
            guard cd[p] == 0x50, cd[p + 1] == 0x4B, cd[p + 2] == 0x01, cd[p + 3] == 0x02 else { break }
            var compressed = u32(cd, p + 20)
            var uncompressed = u32(cd, p + 24)
            let nameLength = Int(u16(cd, p + 28))
            let extraLength = Int(u16(cd, p + 30))
            let commentLength = Int(u16(cd, p + 32))
            var localOffset = u32(cd, p + 42)
            let next = p + 46 + nameLength + extraLength + commentLength
            guard next <= cd.count else { throw fail("a central directory entry runs past the directory") }
            let name = String(decoding: cd[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            // ZIP64 extra field: the 64-bit values of the fields set to 0xFFFFFFFF, in this order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(cd, e)
                let length = Int(u16(cd, e + 2))
                guard e + 4 + length <= extraEnd else { throw fail("entry '\(name)': an extra field runs past its entry") }
                if id == 0x0001 {
                    var q = e + 4
                    func take() throws(FeedError) -> UInt64 {
                        guard q + 8 <= e + 4 + length else { throw fail("entry '\(name)': a short ZIP64 extra field") }
                        defer { q += 8 }
                        return u64(cd, q)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try take() }
                    if compressed == 0xFFFF_FFFF { compressed = try take() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try take() }
                }
                e += 4 + length
            }
            let (dataEnd, o1) = localOffset.addingReportingOverflow(30)
            let (entryEnd, o2) = dataEnd.addingReportingOverflow(compressed)
            guard !o1, !o2, entryEnd <= size else {
                throw fail(
                    "entry '\(name)' (offset \(localOffset), \(compressed) compressed bytes) runs past the end of the file")
            }
            guard seen.insert(name).inserted else { throw fail("the entry '\(name)' appears twice") }
            count += 1
            p = next
        }
        guard count == entries else { throw fail("the central directory holds \(count) entries but declares \(entries)") }
    }
}
