import CityCertCSV
import Foundation

/// Row-by-row checks of one table: presence, types, ranges, keys, foreign keys, and the per-file
/// rules; cross-row rules (stop_times per trip, parent stations) run in `finish()`.
final class TableValidation {
    let run: FeedRun
    let table: GTFSSchema.Table
    let file: String
    let columns: [GTFSSchema.Field?]
    let reader: CSVReader
    var index: [String: Int] = [:]

    // Primary key.
    var keyColumns: [Int] = []
    var keys = ByteSet()
    var keyRows: [Int32] = []
    var keyBytes: [UInt8] = []
    let checkPrimaryKey: Bool

    // Foreign keys: column → targets "file#field"; self references are checked at the end.
    var foreignKeys: [(column: Int, targets: [String])] = []
    var deferred: [(row: Int, column: Int, value: [UInt8], targets: [String])] = []
    // Key sets this file fills for others.
    var fills: [(column: Int, key: String)] = []
    var endRanges: [(start: Int, end: Int, allowEqual: Bool)] = []

    // stop_times.
    let isStopTimes: Bool
    var stTrip: [Int32] = []
    var stSeq: [Int32] = []
    var stArr: [Int32] = []
    var stDep: [Int32] = []
    var stRow: [Int32] = []

    init(run: FeedRun, table: GTFSSchema.Table, columns: [GTFSSchema.Field?], reader: CSVReader) {
        self.run = run
        self.table = table
        self.file = table.file
        self.columns = columns
        self.reader = reader
        var index: [String: Int] = [:]
        for (i, f) in columns.enumerated() { if let f { index[f.name] = i } }
        self.index = index
        let stopTimes = table.file == "stop_times.txt"
        isStopTimes = stopTimes
        let keyColumns = table.primaryKey.compactMap { index[$0] }
        self.keyColumns = keyColumns
        checkPrimaryKey = !stopTimes && !keyColumns.isEmpty && keyColumns.count == table.primaryKey.count
        for (i, f) in columns.enumerated() {
            guard let f else { continue }
            if !f.foreignKeys.isEmpty { foreignKeys.append((i, f.foreignKeys.map { "\($0.file)#\($0.field)" })) }
            let k = "\(file)#\(f.name)"
            if run.neededKeys.contains(k) {
                fills.append((i, k))
                if run.keySets[k] == nil { run.keySets[k] = ByteSet() }
            }
            if let e = f.endRange, let j = index[e.field] { endRanges.append((i, j, e.allowEqual)) }
        }
    }

    func name(_ column: Int) -> String { column < columns.count ? columns[column]?.name ?? "" : "" }

    func notice(_ code: String, _ severity: GTFSNotice.Severity, row: Int, column: Int, value: String = "", _ message: String) {
        run.notice(code, severity, file: file, row: row, column: column + 1, field: name(column), value: value, message)
    }

    func value(_ column: Int) -> String { reader.string(column) }

    // MARK: - A row

    func row(_ row: Int) {
        for (i, f) in columns.enumerated() {
            guard let f else { continue }
            reader.withField(i) { b in check(f, b, row: row, column: i) }
        }
        for (i, k) in fills {
            reader.withField(i) { b in
                if !b.isEmpty { run.keySets[k]!.insert(b) }
            }
        }
        if checkPrimaryKey { primaryKey(row) }
        for (i, targets) in foreignKeys { foreignKey(row: row, column: i, targets: targets) }
        for (s, e, allowEqual) in endRanges { endRange(row: row, start: s, end: e, allowEqual: allowEqual) }
        switch file {
        case "agency.txt": agency(row)
        case "routes.txt": route(row)
        case "stops.txt": stop(row)
        case "calendar.txt", "calendar_dates.txt":
            if let i = index["service_id"] { reader.withField(i) { b in if !b.isEmpty { run.serviceIDs.insert(b) } } }
        case "trips.txt": trip(row)
        case "stop_times.txt": stopTime(row)
        case "feed_info.txt": feedInfo(row)
        default: break
        }
    }

    func check(_ f: GTFSSchema.Field, _ b: UnsafeBufferPointer<UInt8>, row: Int, column: Int) {
        if b.isEmpty {
            if f.required {
                notice(
                    "missing_required_field", .error, row: row, column: column, "\(f.name) is required and empty in row \(row)")
            }
            return
        }
        if b[0] == 0x20 || b[0] == 0x09 || b[b.count - 1] == 0x20 || b[b.count - 1] == 0x09 {
            notice(
                "leading_or_trailing_whitespaces", .warning, row: row, column: column, value: String(decoding: b, as: UTF8.self),
                "\(f.name) has leading or trailing whitespace")
        }
        func bad(_ code: String, _ what: String) {
            let v = String(decoding: b, as: UTF8.self)
            notice(code, .error, row: row, column: column, value: v, "\(f.name) '\(v)' is not \(what)")
        }
        func range(_ x: Double) {
            if f.nonNegative && x < 0 || f.positive && x <= 0 || f.nonZero && x == 0 {
                let v = String(decoding: b, as: UTF8.self)
                let rule = f.positive ? "greater than 0" : f.nonZero ? "non-zero" : "0 or more"
                notice("number_out_of_range", .error, row: row, column: column, value: v, "\(f.name) \(v) is not \(rule)")
            }
        }
        switch f.kind {
        case "URL"?:
            if !GTFSTypes.url(String(decoding: b, as: UTF8.self)) {
                bad("invalid_url", "a fully qualified http:// or https:// URL")
            }
            return
        case "EMAIL"?:
            if !GTFSTypes.email(String(decoding: b, as: UTF8.self)) { bad("invalid_email", "an email address") }
            return
        case "PHONE_NUMBER"?:
            if !GTFSTypes.phone(String(decoding: b, as: UTF8.self)) { bad("invalid_phone_number", "a phone number") }
            return
        case "LATITUDE"?, "LONGITUDE"?:
            guard let x = GTFSTypes.float(b) else { return bad("invalid_float", "a number") }
            let limit = f.kind == "LATITUDE" ? 90.0 : 180.0
            if !(-limit...limit).contains(x) {
                let v = String(decoding: b, as: UTF8.self)
                notice(
                    "number_out_of_range", .error, row: row, column: column, value: v,
                    "\(f.name) \(v) is outside [-\(Int(limit)), \(Int(limit))]")
            }
            return
        default: break
        }
        switch f.type {
        case "int":
            guard let x = GTFSTypes.integer(b) else { return bad("invalid_integer", "an integer") }
            range(Double(x))
        case "double", "BigDecimal":
            guard let x = GTFSTypes.float(b) else { return bad("invalid_float", "a number") }
            range(x)
        case "GtfsTime":
            if GTFSTypes.time(b) == nil { bad("invalid_time", "a time in H:MM:SS or HH:MM:SS") }
        case "GtfsDate":
            if GTFSTypes.date(b) == nil { bad("invalid_date", "a date in YYYYMMDD") }
        case "GtfsColor":
            if !GTFSTypes.color(b) { bad("invalid_color", "a six-digit hexadecimal color") }
        case "ZoneId":
            if !GTFSTypes.timezone(String(decoding: b, as: UTF8.self)) { bad("invalid_timezone", "a TZ database timezone name") }
        case "Locale":
            if !GTFSTypes.language(String(decoding: b, as: UTF8.self)) {
                bad("invalid_language_code", "an IETF BCP 47 language code")
            }
        case "Currency":
            if !GTFSTypes.currencies.contains(String(decoding: b, as: UTF8.self)) {
                bad("invalid_currency", "an ISO 4217 currency code")
            }
        case let t:
            if let values = run.schema.enums[t] {
                guard let x = GTFSTypes.integer(b) else { return bad("invalid_integer", "an integer (an enumerated value)") }
                if !values.contains(x) {
                    notice(
                        "unexpected_enum_value", .warning, row: row, column: column, value: "\(x)",
                        "\(f.name) \(x) is not one of the values the reference defines")
                }
            }
        }
    }

    func primaryKey(_ row: Int) {
        keyBytes.removeAll(keepingCapacity: true)
        for (n, i) in keyColumns.enumerated() {
            if n > 0 { keyBytes.append(0x1F) }
            reader.withField(i) { keyBytes.append(contentsOf: $0) }
        }
        let (id, inserted) = keyBytes.withUnsafeBufferPointer { keys.insert($0) }
        if inserted {
            keyRows.append(Int32(row))
        } else {
            let first = keyRows[Int(id)]
            let names = keyColumns.map { name($0) }.joined(separator: ", ")
            let value = keyColumns.map { self.value($0) }.joined(separator: ", ")
            notice(
                "duplicate_key", .error, row: row, column: keyColumns[0], value: value,
                "(\(names)) = (\(value)) is already the key of row \(first)")
        }
    }

    func foreignKey(row: Int, column: Int, targets: [String]) {
        reader.withField(column) { b in
            guard !b.isEmpty else { return }
            if targets.contains(where: { $0.hasPrefix(file + "#") }) {
                deferred.append((row, column, Array(b), targets))
                return
            }
            if targets.contains(where: { run.keySets[$0]?.find(b) != nil }) { return }
            let v = String(decoding: b, as: UTF8.self)
            let referenced = targets.map { $0.replacingOccurrences(of: "#", with: ".") }.joined(separator: " or ")
            let message = "\(name(column)) '\(v)' is not a \(referenced)"
            notice("foreign_key_violation", .error, row: row, column: column, value: v, message)
        }
    }

    func endRange(row: Int, start: Int, end: Int, allowEqual: Bool) {
        guard let f = columns[start] else { return }
        func parse(_ i: Int) -> Int? {
            reader.withField(i) { b -> Int? in
                if b.isEmpty { return nil }
                return f.type == "GtfsDate" ? GTFSTypes.date(b) : f.type == "GtfsTime" ? GTFSTypes.time(b) : GTFSTypes.integer(b)
            }
        }
        guard let a = parse(start), let z = parse(end) else { return }
        if a > z {
            notice(
                "start_and_end_range_out_of_order", .error, row: row, column: start, value: "\(value(start)) > \(value(end))",
                "\(name(start)) \(value(start)) is after \(name(end)) \(value(end))")
        } else if a == z && !allowEqual {
            notice(
                "start_and_end_range_equal", .error, row: row, column: start, value: value(start),
                "\(name(start)) equals \(name(end)) (\(value(start)))")
        }
    }

    // MARK: - Per-file rules

    func agency(_ row: Int) {
        run.agencyCount += 1
        if let i = index["agency_id"], reader.isEmpty(i) { run.agencyIDEmptyRows.append(row) }
        if index["agency_id"] == nil { run.agencyIDEmptyRows.append(row) }
        if let i = index["agency_timezone"], !reader.isEmpty(i) { run.agencyTimezones.append((value(i), row)) }
    }

    func route(_ row: Int) {
        let short = index["route_short_name"].map { !reader.isEmpty($0) } ?? false
        let long = index["route_long_name"].map { !reader.isEmpty($0) } ?? false
        if !short && !long {
            run.notice(
                "route_both_short_and_long_name_missing", .error, file: file, row: row,
                "route in row \(row) has neither route_short_name nor route_long_name")
        }
        if index["agency_id"].map({ reader.isEmpty($0) }) ?? true { run.routeAgencyEmptyRows.append(row) }
    }

    func stop(_ row: Int) {
        var type: Int8 = 0
        if let i = index["location_type"], let t = reader.withField(i, { GTFSTypes.integer($0) }) { type = Int8(clamping: t) }
        guard let idColumn = index["stop_id"] else { return }
        let stopID = reader.withField(idColumn) { run.keySets["stops.txt#stop_id"]?.find($0) ?? -1 }
        if stopID >= 0 { run.stopLocationType[stopID] = type }
        if (0...2).contains(type) {
            if index["stop_name"].map({ reader.isEmpty($0) }) ?? true {
                run.notice(
                    "missing_stop_name", .error, file: file, row: row, column: (index["stop_name"] ?? -1) + 1, field: "stop_name",
                    "stop_name is required for location_type \(type)")
            }
            let noLat = index["stop_lat"].map { reader.isEmpty($0) } ?? true
            let noLon = index["stop_lon"].map { reader.isEmpty($0) } ?? true
            if noLat || noLon {
                run.notice(
                    "stop_without_location", .error, file: file, row: row, field: noLat ? "stop_lat" : "stop_lon",
                    "stop_lat and stop_lon are required for location_type \(type)")
            }
        }
        let parentColumn = index["parent_station"]
        let parent: [UInt8] = parentColumn.map { c in reader.withField(c) { Array($0) } } ?? []
        if parent.isEmpty && (2...4).contains(type) {
            run.notice(
                "location_without_parent_station", .error, file: file, row: row, column: (parentColumn ?? -1) + 1,
                field: "parent_station", "parent_station is required for location_type \(type)")
        }
        if !parent.isEmpty && type == 1 {
            run.notice(
                "station_with_parent_station", .error, file: file, row: row, column: (parentColumn ?? -1) + 1,
                field: "parent_station",
                value: String(decoding: parent, as: UTF8.self), "a station (location_type 1) has no parent_station")
        }
        if !parent.isEmpty && stopID >= 0 { run.stopParents.append((row, parentColumn!, stopID, parent, type)) }
    }

    func trip(_ row: Int) {
        guard let i = index["service_id"] else { return }
        reader.withField(i) { b in
            guard !b.isEmpty else { return }
            if run.serviceIDs.find(b) == nil {
                run.tripServiceRefs.append((row, i + 1, Array(b)))
            }
        }
    }

    func stopTime(_ row: Int) {
        var trip: Int32 = -1
        if let i = index["trip_id"] { trip = reader.withField(i) { run.keySets["trips.txt#trip_id"]?.find($0) ?? -1 } }
        var seq: Int32 = -1
        if let i = index["stop_sequence"], let s = reader.withField(i, { GTFSTypes.integer($0) }), s >= 0, s <= Int(Int32.max) {
            seq = Int32(s)
        }
        guard trip >= 0, seq >= 0 else { return }
        func time(_ name: String) -> Int32 {
            guard let i = index[name] else { return -1 }
            return reader.withField(i) { b in b.isEmpty ? -1 : GTFSTypes.time(b).map { Int32(clamping: $0) } ?? -2 }
        }
        stTrip.append(trip)
        stSeq.append(seq)
        stArr.append(time("arrival_time"))
        stDep.append(time("departure_time"))
        stRow.append(Int32(row))
    }

    func feedInfo(_ row: Int) {
        let s = index["feed_start_date"].map { !reader.isEmpty($0) } ?? false
        let e = index["feed_end_date"].map { !reader.isEmpty($0) } ?? false
        if s != e {
            run.notice(
                "missing_feed_info_date", .warning, file: file, row: row, field: s ? "feed_end_date" : "feed_start_date",
                "feed_start_date and feed_end_date are given together")
        }
    }

    // MARK: - After the last row

    func finish() {
        for d in deferred {
            let found = d.value.withUnsafeBufferPointer { b in d.targets.contains { run.keySets[$0]?.find(b) != nil } }
            if !found {
                let v = String(decoding: d.value, as: UTF8.self)
                run.notice(
                    "foreign_key_violation", .error, file: file, row: d.row, column: d.column + 1, field: name(d.column),
                    value: v,
                    "\(name(d.column)) '\(v)' is not a \(d.targets.map { $0.replacingOccurrences(of: "#", with: ".") }.joined(separator: " or "))"
                )
            }
        }
        if file == "stops.txt" { parents() }
        if isStopTimes { trips() }
    }

    func parents() {
        guard let ids = run.keySets["stops.txt#stop_id"] else { return }
        for p in run.stopParents {
            guard let parentID = p.parent.withUnsafeBufferPointer({ ids.find($0) }),
                let parentType = run.stopLocationType[parentID]
            else { continue }  // an unknown parent is a foreign key violation, reported above
            let expected: Int8 = p.type == 4 ? 0 : 1
            if parentType != expected {
                run.notice(
                    "wrong_parent_location_type", .error, file: file, row: p.row, column: p.column + 1, field: "parent_station",
                    value: String(decoding: p.parent, as: UTF8.self),
                    "the parent of a location_type \(p.type) is a location_type \(expected), not \(parentType)")
            }
        }
    }

    /// stop_times per trip, in stop_sequence order.
    func trips() {
        let n = stTrip.count
        guard n > 0 else { return }
        var order = Array(0..<n)
        var sorted = true
        for i in 1..<n where (stTrip[i - 1], stSeq[i - 1]) > (stTrip[i], stSeq[i]) {
            sorted = false
            break
        }
        if !sorted {
            order.sort { (stTrip[$0], stSeq[$0], stRow[$0]) < (stTrip[$1], stSeq[$1], stRow[$1]) }
        }
        let seqColumn = (index["stop_sequence"] ?? -1) + 1
        let arrColumn = (index["arrival_time"] ?? -1) + 1
        var start = 0
        while start < n {
            var end = start
            let trip = stTrip[order[start]]
            while end + 1 < n && stTrip[order[end + 1]] == trip { end += 1 }
            // Equal stop_sequence: the key (trip_id, stop_sequence) repeats.
            for k in start..<end {
                let a = order[k]
                let b = order[k + 1]
                if stSeq[a] == stSeq[b] {
                    run.notice(
                        "duplicate_key", .error, file: file, row: Int(stRow[b]), column: seqColumn, field: "stop_sequence",
                        value: "\(stSeq[b])",
                        "(trip_id, stop_sequence) = (…, \(stSeq[b])) is already the key of row \(stRow[a])")
                }
            }
            // The first and last stop of a trip have an arrival_time.
            for k in start == end ? [start] : [start, end] where stArr[order[k]] == -1 {
                run.notice(
                    "missing_trip_edge", .error, file: file, row: Int(stRow[order[k]]), column: arrColumn, field: "arrival_time",
                    "the \(k == start ? "first" : "last") stop of a trip has no arrival_time")
            }
            // Times do not go backwards along the trip.
            var previous: (time: Int32, row: Int32)?
            for k in start...end {
                let i = order[k]
                if let p = previous, stArr[i] >= 0, stArr[i] < p.time {
                    run.notice(
                        "stop_time_with_arrival_before_previous_departure_time", .error, file: file, row: Int(stRow[i]),
                        column: arrColumn,
                        field: "arrival_time", "arrival_time is before the departure_time of row \(p.row)")
                }
                let t = stDep[i] >= 0 ? stDep[i] : stArr[i]
                if t >= 0 { previous = (t, stRow[i]) }
            }
            start = end + 1
        }
    }
}
