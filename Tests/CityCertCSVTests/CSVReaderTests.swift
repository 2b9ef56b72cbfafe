import Testing

@testable import CityCertCSV

@Suite struct CSVReaderTests {
    /// All records of `text` read through chunks of `chunk` bytes: fields and problems per record.
    func records(_ bytes: [UInt8], chunk: Int = 1 << 20) throws -> [(fields: [String], problems: [CSVReader.Problem])] {
        var offset = 0
        let reader = CSVReader(maxRecordBytes: 64) { out in
            guard offset < bytes.count else { return false }
            let end = min(bytes.count, offset + chunk)
            out.append(contentsOf: bytes[offset..<end])
            offset = end
            return true
        }
        var out: [(fields: [String], problems: [CSVReader.Problem])] = []
        while try reader.next() {
            out.append(((0..<reader.fieldCount).map { reader.string($0) }, reader.problems))
        }
        return out
    }

    @Test(arguments: [1, 2, 3, 7, 1 << 20])
    func rfc4180QuotingAcrossChunkBoundaries(_ chunk: Int) throws {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n1,,3\n\"\",z,\"q\""
        let r = try records(Array(text.utf8), chunk: chunk)
        #expect(r.map(\.fields) == [["a", "b", "c"], ["x, y", "say \"hi\"", ""], ["1", "", "3"], ["", "z", "q"]])
        let clean = r.allSatisfy { $0.problems.isEmpty }
        #expect(clean)
    }

    @Test func problemsAreReportedPerRecord() throws {
        let text = "a,\"multi\nline\",c\nbad\"quote,2\n\"never closed,3"
        let r = try records(Array(text.utf8), chunk: 4)
        #expect(r[0].fields == ["a", "multi\nline", "c"])
        #expect(r[0].problems == [.newlineInValue(field: 1)])
        #expect(r[1].problems == [.strayQuote(field: 0)])
        #expect(r[2].problems.contains(.unterminatedQuote))
    }

    @Test func aByteOrderMarkIsSkippedAndNoted() throws {
        let reader = CSVReader(bytes: [0xEF, 0xBB, 0xBF] + Array("id,name\n1,x\n".utf8))
        #expect(try reader.next())
        #expect(reader.hadBOM)
        #expect(reader.string(0) == "id")
        #expect(try reader.next())
        #expect(reader.row == 2)
    }

    @Test func invalidUTF8IsLocatedByByteOffset() throws {
        let reader = CSVReader(bytes: Array("id,name\n".utf8) + [0x31, 0x2C, 0x61, 0xC3, 0x28] + Array("\n".utf8))
        #expect(try reader.next())
        #expect(reader.invalidUTF8Offset() == nil)
        #expect(try reader.next())
        #expect(reader.invalidUTF8Offset() == 11)
    }

    @Test func aTabInAValueIsFound() throws {
        let reader = CSVReader(bytes: Array("a,b\nx,y\tz\n".utf8))
        #expect(try reader.next())
        #expect(reader.firstFieldWithTab() == nil)
        #expect(try reader.next())
        #expect(reader.firstFieldWithTab() == 1)
    }

    @Test func anOverlongRecordIsCutAndReported() throws {
        let long = String(repeating: "x", count: 200)
        let r = try records(Array("a\n\"\(long)\n".utf8) + Array("b\n".utf8), chunk: 16)
        #expect(r.first?.fields == ["a"])
        #expect(r.contains { $0.problems.contains(.recordTooLong(limit: 64)) })
        // The rest of the long line is skipped, not read as a record: a, the cut record, b.
        #expect(r.count == 3)
        #expect(r.last?.fields == ["b"])
    }
}
