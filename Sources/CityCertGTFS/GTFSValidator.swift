import CityCertCSV
import Foundation

/// Validates GTFS Schedule feeds against the table schema and the cross-row rules, streaming each
/// file once. Notices use the reference validator's codes where the rule is the same.
public final class GTFSValidator: @unchecked Sendable {
    public let schema: GTFSSchema
    public let limits: GTFSLimits
    /// Most notices of one code kept per feed (the rest are counted in `truncated`).
    public var maxNoticesPerCode = 10_000

    public init(schema: GTFSSchema, limits: GTFSLimits = GTFSLimits()) {
        self.schema = schema
        self.limits = limits
    }

    /// Files read before the others, so that foreign keys find their targets.
    static let order = [
        "agency.txt", "levels.txt", "stops.txt", "calendar.txt", "calendar_dates.txt", "shapes.txt", "networks.txt",
        "routes.txt", "trips.txt", "stop_times.txt",
    ]

    public func validate(feed path: String) -> GTFSResult {
        let run = FeedRun(validator: self, path: path)
        run.run()
        return GTFSResult(feed: path, notices: run.notices, fatal: run.fatal, rows: run.rows, dropped: run.dropped)
    }
}

/// The state of one feed's validation.
final class FeedRun {
    let validator: GTFSValidator
    let schema: GTFSSchema
    let path: String
    var notices: [GTFSNotice] = []
    var perCode: [GTFSNoticeCode: Int] = [:]
    /// Notices past `maxNoticesPerCode`: counted per code and file, not kept.
    var dropped: [GTFSNoticeCode: [String: Int]] = [:]
    var fatal: String?
    var rows: [String: Int] = [:]
    var source: FeedSource!

    /// Key sets of (file, field) that foreign keys point at, by index (resolved once per table).
    final class KeyStore {
        // Read and grown once per row on the validating thread only.
        @exclusivity(unchecked) var sets: [ByteSet] = []
        var index: [String: Int] = [:]
    }
    let keys = KeyStore()

    /// The index of the key set of "file#field", created empty when first named.
    func keySet(_ key: String) -> Int {
        if let i = keys.index[key] { return i }
        keys.sets.append(ByteSet())
        keys.index[key] = keys.sets.count - 1
        return keys.sets.count - 1
    }
    var neededKeys: Set<String> = []
    var present: Set<String> = []

    // Cross-row state.
    var agencyCount = 0
    var agencyTimezones: [(String, Int)] = []
    var agencyIDEmptyRows: [Int] = []
    var routeAgencyEmptyRows: [Int] = []
    var stopLocationType: [Int32: Int8] = [:]
    var stopParents: [(row: Int, column: Int, stop: Int32, parent: [UInt8], type: Int8)] = []
    var serviceIDs = ByteSet()
    var tripServiceRefs: [(row: Int, column: Int, value: [UInt8])] = []
    /// Files read so far; a foreign key into a file not read yet is checked at the end.
    var readFiles: Set<String> = []
    var pendingForeignKeys: [(file: String, row: Int, column: Int, field: String, value: [UInt8], targets: [String])] = []

    init(validator: GTFSValidator, path: String) {
        self.validator = validator
        self.schema = validator.schema
        self.path = path
    }

    func notice(
        _ code: GTFSNoticeCode, file: String = "", row: Int = 0, column: Int = 0, field: String = "", value: String = "",
        _ message: String
    ) {
        let n = perCode[code, default: 0]
        perCode[code] = n + 1
        guard n < validator.maxNoticesPerCode else {
            dropped[code, default: [:]][file, default: 0] += 1
            return
        }
        notices.append(
            GTFSNotice(
                code: code, severity: code.severity, file: file, row: row, column: column, field: Self.printable(field),
                value: Self.printable(value),
                message: Self.printable(message)))
    }

    /// Control characters (NUL, line breaks, …) from the data are shown escaped, so reports stay text.
    static func printable(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F {
                out += "\\u{" + String(u.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    func run() {
        do {
            source = try FeedSource(path: path, limits: validator.limits)
        } catch {
            fatal = error.description
            return
        }
        present = Set(source.files)
        for f in source.nested {
            notice(
                .invalidInputFilesInSubfolder, file: f,
                "\(f) is in a subfolder; GTFS files sit at the root of the feed")
        }
        for f in source.files where schema.tables[f] == nil {
            notice(.unknownFile, file: f, "\(f) is not a GTFS file citycert knows; it is not checked")
        }
        for (file, t) in schema.tables.sorted(by: { $0.key < $1.key }) where t.required && !present.contains(file) {
            notice(.missingRequiredFile, file: file, "the required file \(file) is missing")
        }
        if !present.contains("stops.txt") && !present.contains("locations.geojson") {
            notice(
                .missingRequiredFile, file: "stops.txt",
                "stops.txt is missing (required unless locations.geojson defines zones)")
        }
        if !present.contains("calendar.txt") && !present.contains("calendar_dates.txt") {
            notice(
                .missingCalendarAndCalendarDateFiles,
                "neither calendar.txt nor calendar_dates.txt is present: the feed defines no service dates")
        }
        if present.contains("translations.txt") && !present.contains("feed_info.txt") {
            notice(
                .missingRequiredFile, file: "feed_info.txt",
                "feed_info.txt is required when translations.txt is provided")
        }
        for t in schema.tables.values {
            for f in t.fields { for fk in f.foreignKeys { neededKeys.insert("\(fk.file)#\(fk.field)") } }
        }
        let known = source.files.filter { schema.tables[$0] != nil }
        let ordered =
            GTFSValidator.order.filter { known.contains($0) } + known.filter { !GTFSValidator.order.contains($0) }.sorted()
        for file in ordered {
            do {
                try read(file)
            } catch {
                notice(.iOError, file: file, "\(file) could not be read: \(error)")
                if error.message.contains("zip bomb") { fatal = error.description }
            }
        }
        finishAgencies()
        finishTrips()
        finishForeignKeys()
    }

    // MARK: - One file

    func read(_ file: String) throws(FeedError) {
        guard let table = schema.tables[file] else { return }
        let (reader, close) = try source.reader(file)
        defer { close() }
        defer { readFiles.insert(file) }
        do {
            try readTable(table, reader)
        } catch let e as FeedError {
            throw e
        } catch {
            throw FeedError(path: source.display(file), message: "\(error)")
        }
    }

    func readTable(_ table: GTFSSchema.Table, _ reader: CSVReader) throws {
        let file = table.file
        guard try reader.next() else {
            notice(.emptyFile, file: file, "\(file) is empty (not even a header row)")
            return
        }
        // The header row is checked like a data row: a quote left open there swallows the file.
        recordNotices(reader, file: file, row: 1, tabs: false) { _ in "" }
        if reader.hadBOM {
            notice(
                .utf8Bom, file: file, row: 1, "\(file) starts with a UTF-8 byte order mark (acceptable; it is skipped)")
        }
        // Header.
        var columns: [GTFSSchema.Field?] = []
        var seen: [String: Int] = [:]
        for i in 0..<reader.fieldCount {
            let raw = reader.string(i)
            let name = raw.trimmingCharacters(in: .whitespaces)
            if name.isEmpty {
                notice(.emptyColumnName, file: file, row: 1, column: i + 1, "column \(i + 1) of \(file) has no name")
                columns.append(nil)
                continue
            }
            // A header cell with surrounding spaces names the trimmed column (as gtfs-validator's parser
            // reads it, and every consumer does): a warning, never a missing column.
            if name != raw {
                notice(
                    .leadingOrTrailingWhitespaces, file: file, row: 1, column: i + 1, field: name, value: raw,
                    "the header cell '\(raw)' has leading or trailing spaces; it is read as the column \(name)")
            }
            if let first = seen[name] {
                notice(
                    .duplicatedColumn, file: file, row: 1, column: i + 1, field: name,
                    "the column \(name) appears twice (columns \(first + 1) and \(i + 1))")
                columns.append(nil)
                continue
            }
            seen[name] = i
            let field = table.field(name)
            if field == nil {
                notice(
                    .unknownColumn, file: file, row: 1, column: i + 1, field: name,
                    "\(name) is not a column of \(file); it is not checked")
            }
            columns.append(field)
        }
        for f in table.fields where f.required && seen[f.name] == nil {
            notice(
                .missingRequiredColumn, file: file, row: 1, field: f.name,
                "\(file) has no \(f.name) column, which is required")
        }
        let header = reader.fieldCount
        let tv = TableValidation(run: self, table: table, columns: columns, reader: reader)
        var count = 0
        while try reader.next() {
            count += 1
            let row = reader.row
            recordNotices(reader, file: file, row: row, tabs: true) { tv.name($0) }
            if reader.fieldCount == 1 && reader.isEmpty(0) { continue }  // blank line
            if reader.fieldCount == 0 { continue }  // a record cut for its length (already reported)
            if reader.fieldCount != header {
                notice(
                    .invalidRowLength, file: file, row: row, value: "\(reader.fieldCount)",
                    "row \(row) has \(reader.fieldCount) values; the header has \(header)")
                continue
            }
            tv.row(row)
        }
        rows[file] = count
        tv.finish()
    }

    /// What is wrong with the bytes and the CSV of the current record (the header is row 1; tabs are
    /// judged in values only).
    func recordNotices(_ reader: CSVReader, file: String, row: Int, tabs: Bool, name: (Int) -> String) {
        let label = row == 1 ? "the header row" : "row \(row)"
        let (bad, tab) = reader.byteProblems()
        if let bad {
            notice(
                .invalidUtf8, file: file, row: row, value: "byte \(bad)",
                "\(label) of \(file) is not valid UTF-8 (first invalid byte at offset \(bad) of the file)")
        }
        if tabs, let f = tab {
            notice(
                .tabInValue, file: file, row: row, column: f + 1, field: name(f), "a value of \(label) contains a tab")
        }
        for p in reader.problems {
            switch p {
            case .newlineInValue(let f):
                notice(
                    .newLineInValue, file: file, row: row, column: f + 1, field: name(f),
                    "a value of \(label) contains a line break")
            case .unterminatedQuote:
                notice(.csvParsingFailed, file: file, row: row, "a quoted value of \(label) is never closed")
            case .strayQuote(let f):
                notice(
                    .csvParsingFailed, file: file, row: row, column: f + 1, field: name(f),
                    "a quote in an unquoted value, or text after a closing quote, in \(label)")
            case .recordTooLong(let limit):
                notice(.csvParsingFailed, file: file, row: row, "\(label) is longer than \(limit) bytes; skipped")
            }
        }
    }

    // MARK: - Feed-level rules

    func finishAgencies() {
        if agencyCount > 1 {
            for r in agencyIDEmptyRows {
                notice(
                    .missingRequiredField, file: "agency.txt", row: r, field: "agency_id",
                    "agency_id is required when the feed has several agencies")
            }
            for r in routeAgencyEmptyRows {
                notice(
                    .missingRequiredField, file: "routes.txt", row: r, field: "agency_id",
                    "routes.agency_id is required when the feed has several agencies")
            }
        }
        if let (first, _) = agencyTimezones.first {
            for (tz, row) in agencyTimezones.dropFirst() where tz != first {
                notice(
                    .inconsistentAgencyTimezone, file: "agency.txt", row: row, field: "agency_timezone", value: tz,
                    "agency_timezone \(tz) differs from \(first): every agency of a feed has the same timezone")
            }
        }
    }

    func finishForeignKeys() {
        for p in pendingForeignKeys {
            let found = p.value.withUnsafeBufferPointer { b in p.targets.contains { keys.sets[keySet($0)].find(b) != nil } }
            if !found {
                let v = String(decoding: p.value, as: UTF8.self)
                let referenced = p.targets.map { $0.replacingOccurrences(of: "#", with: ".") }.joined(separator: " or ")
                notice(
                    .foreignKeyViolation, file: p.file, row: p.row, column: p.column + 1, field: p.field, value: v,
                    "\(p.field) '\(v)' is not a \(referenced)")
            }
        }
    }

    func finishTrips() {
        // Without either calendar file the feed already fails missing_calendar_and_calendar_date_files;
        // every service_id would repeat it.
        guard !tripServiceRefs.isEmpty, present.contains("calendar.txt") || present.contains("calendar_dates.txt") else { return }
        for ref in tripServiceRefs {
            let found = ref.value.withUnsafeBufferPointer { serviceIDs.find($0) != nil }
            if !found {
                let v = String(decoding: ref.value, as: UTF8.self)
                notice(
                    .foreignKeyViolation, file: "trips.txt", row: ref.row, column: ref.column, field: "service_id",
                    value: v,
                    "service_id '\(v)' is in neither calendar.txt nor calendar_dates.txt")
            }
        }
    }
}
