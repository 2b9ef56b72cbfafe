import CityCertJSON
import Foundation
import Testing

@Suite struct JSONStreamTests {
    func temp(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "citycert-stream-\(UUID().uuidString).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [1, 3, 7, 1 << 20])
    func jsonLinesRecordsAreLocated(chunk: Int) throws {
        let path = try temp("{\"a\":1}\n\n  {\"a\": [true, x]}\r\n{\"b\":\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var records: [JSONRecord] = []
        try JSONStreamReader(chunkSize: chunk).forEachLine(path: path) { records.append($0) }
        #expect(records.count == 3)
        #expect(records[0].origin.line == 1)
        #expect((try? records[0].document.get().root["a"]) == .int(1))
        #expect(records[1].origin.line == 3)
        guard case .failure(let error) = records[1].document else {
            Issue.record("expected a parse failure")
            return
        }
        #expect(error.location.description == "3:16")
        #expect(records[2].origin.line == 4)
    }

    /// The threaded reader gives the same records, in file order, as the sequential one, whatever the
    /// window and batch sizes, and no two batches running at once share a worker slot.
    @Test(arguments: [(2, 1), (2, 7), (3, 4), (4, 1000)])
    func parallelJSONLinesKeepFileOrder(jobs: Int, batch: Int) throws {
        var text = ""
        for i in 0..<503 { text += i % 50 == 7 ? "{broken \(i)\n" : (i % 31 == 3 ? "\n" : "{\"n\": \(i)}\n") }
        let path = try temp(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        @Sendable func describe(_ r: JSONRecord) -> String {
            switch r.document {
            case .success(let d): return "\(r.index) \(r.origin) \(JSONSerializer.string(d.root))"
            case .failure(let e): return "\(r.index) \(r.origin) error \(e)"
            }
        }
        var sequential: [String] = []
        try JSONStreamReader(chunkSize: 64).forEachLine(path: path) { sequential.append(describe($0)) }
        var parallel: [String] = []
        var slots = Set<Int>()
        try JSONStreamReader(chunkSize: 64).forEachLine(
            path: path, jobs: jobs, batchLines: batch, map: { slot, record in (slot, describe(record)) },
            emit: { result in
                slots.insert(result.0)
                parallel.append(result.1)
            })
        #expect(sequential.count == 503 - 17)
        #expect(parallel == sequential)
        #expect(slots.allSatisfy { $0 >= 0 && $0 < jobs })
    }

    @Test(arguments: [1, 2, 5, 1 << 20])
    func arrayElementsStreamWithLocations(chunk: Int) throws {
        let path = try temp("[\n {\"id\": \"a\"},\n {\"id\": \"b\", \"x\": [1, \"]\"]}, 3\n]\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var records: [JSONRecord] = []
        try JSONStreamReader(chunkSize: chunk).forEachArrayElement(path: path) { records.append($0) }
        #expect(records.count == 3)
        let second = try records[1].document.get()
        #expect(second.root["id"] == .string("b"))
        #expect(second.location(of: JSONPointer(tokens: ["x", "1"]))?.description == "3:23")
        #expect(try records[2].document.get().root == .int(3))
    }

    @Test func nonArrayFileIsOneRecord() throws {
        let path = try temp(" {\"a\": 1}")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var count = 0
        try JSONStreamReader().forEachArrayElement(path: path) { r in
            count += 1
            #expect((try? r.document.get().root["a"]) == .int(1))
        }
        #expect(count == 1)
    }
}
