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
    @exclusivity(unchecked) var keyBytes: [UInt8] = []
    let checkPrimaryKey: Bool

    // Foreign keys: column → targets "file#field"; self references are checked at the end.
    var foreignKeys: [(column: Int, targets: [String])] = []
    var deferred: [(row: Int, column: Int, value: [UInt8], targets: [String])] = []
    // Key sets this file fills for others.
    var fills: [(column: Int, key: String)] = []
    var endRanges: [(start: Int, end: Int, allowEqual: Bool)] = []

    /// What to check in each known column, precomputed so the row loop touches no String.
    enum Kind: UInt8 {
        case none, url, email, phone, latitude, longitude, integer, float, time, date, color, timezone, language, currency,
            enumeration
    }
    struct ColumnCheck {
        var column: Int
        var kind: Kind
        var required: Bool
        var nonNegative: Bool
        var positive: Bool
        var nonZero: Bool
        /// Index into `enumValues` when kind is .enumeration.
        var enumIndex: Int
    }
    var checks: [ColumnCheck] = []
    /// Allowed enum values as lookup tables (index = value).
    var enumValues: [[Bool]] = []
    /// Foreign keys resolved to key-set indices in the run's store (flat arrays: no reference
    /// counting per row). A column with several targets appears once per target in a row of
    /// `fkGroups`.
    var fkColumns: [Int] = []
    var fkFirstSet: [Int] = []
    var fkSelf: [Bool] = []
    var fkAllSets: [[Int]] = []
    var fkTargets: [[String]] = []
    var fillColumns: [Int] = []
    var fillSets: [Int] = []
    enum FileKind { case agency, routes, stops, calendar, trips, stopTimes, feedInfo, other }
    let fileKind: FileKind
    // stop_times columns.
    var stTripColumn = -1
    var stSeqColumn = -1
    var stArrColumn = -1
    var stDepColumn = -1
    var tripSet = -1

    // stop_times.
    let isStopTimes: Bool
    @exclusivity(unchecked) var stTrip: [Int32] = []
    @exclusivity(unchecked) var stSeq: [Int32] = []
    @exclusivity(unchecked) var stArr: [Int32] = []
    @exclusivity(unchecked) var stDep: [Int32] = []
    @exclusivity(unchecked) var stRow: [Int32] = []

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
        switch table.file {
        case "agency.txt": fileKind = .agency
        case "routes.txt": fileKind = .routes
        case "stops.txt": fileKind = .stops
        case "calendar.txt", "calendar_dates.txt": fileKind = .calendar
        case "trips.txt": fileKind = .trips
        case "stop_times.txt": fileKind = .stopTimes
        case "feed_info.txt": fileKind = .feedInfo
        default: fileKind = .other
        }
        let keyColumns = table.primaryKey.compactMap { index[$0] }
        self.keyColumns = keyColumns
        checkPrimaryKey = !stopTimes && !keyColumns.isEmpty && keyColumns.count == table.primaryKey.count
        for (i, f) in columns.enumerated() {
            guard let f else { continue }
            if !f.foreignKeys.isEmpty { foreignKeys.append((i, f.foreignKeys.map { "\($0.file)#\($0.field)" })) }
            let k = "\(file)#\(f.name)"
            if run.neededKeys.contains(k) { fills.append((i, k)) }
            if let e = f.endRange, let j = index[e.field] { endRanges.append((i, j, e.allowEqual)) }
        }
        for (i, f) in columns.enumerated() {
            guard let f else { continue }
            var kind: Kind = .none
            var enumIndex = -1
            switch f.kind {
            case "URL"?: kind = .url
            case "EMAIL"?: kind = .email
            case "PHONE_NUMBER"?: kind = .phone
            case "LATITUDE"?: kind = .latitude
            case "LONGITUDE"?: kind = .longitude
            default:
                switch f.type {
                case "int": kind = .integer
                case "double", "BigDecimal": kind = .float
                case "GtfsTime": kind = .time
                case "GtfsDate": kind = .date
                case "GtfsColor": kind = .color
                case "ZoneId": kind = .timezone
                case "Locale": kind = .language
                case "Currency": kind = .currency
                default:
                    if let values = run.schema.enums[f.type] {
                        kind = .enumeration
                        enumIndex = enumValues.count
                        var table = [Bool](repeating: false, count: (values.max() ?? 0) + 1)
                        for v in values where v >= 0 { table[v] = true }
                        enumValues.append(table)
                    }
                }
            }
            checks.append(
                ColumnCheck(
                    column: i, kind: kind, required: f.required, nonNegative: f.nonNegative, positive: f.positive,
                    nonZero: f.nonZero,
                    enumIndex: enumIndex))
        }
        for (i, targets) in foreignKeys {
            let sets = targets.map { run.keySet($0) }
            fkColumns.append(i)
            fkFirstSet.append(sets[0])
            fkSelf.append(targets.contains { $0.hasPrefix(table.file + "#") })
            fkAllSets.append(sets)
            fkTargets.append(targets)
        }
        for f in fills {
            fillColumns.append(f.column)
            fillSets.append(run.keySet(f.key))
        }
        if isStopTimes {
            stTripColumn = index["trip_id"] ?? -1
            stSeqColumn = index["stop_sequence"] ?? -1
            stArrColumn = index["arrival_time"] ?? -1
            stDepColumn = index["departure_time"] ?? -1
            tripSet = run.keySet("trips.txt#trip_id")
        }
    }

    func name(_ column: Int) -> String { column < columns.count ? columns[column]?.name ?? "" : "" }

    func notice(_ code: GTFSNoticeCode, row: Int, column: Int, value: String = "", _ message: String) {
        run.notice(code, file: file, row: row, column: column + 1, field: name(column), value: value, message)
    }

    func value(_ column: Int) -> String { reader.string(column) }

    // MARK: - A row

    func row(_ row: Int) {
        reader.withRecord { record in
            checks.withUnsafeBufferPointer { cs in
                for k in 0..<cs.count { check(cs[k], record, row: row) }
            }
            for k in 0..<fillColumns.count where !record.isEmpty(fillColumns[k]) {
                let set = fillSets[k]
                record.withField(fillColumns[k]) { b in _ = run.keys.sets[set].insert(b) }
            }
            for k in 0..<fkColumns.count where !record.isEmpty(fkColumns[k]) {
                let column = fkColumns[k]
                record.withField(column) { b in
                    if !fkSelf[k] && run.keys.sets[fkFirstSet[k]].find(b) != nil { return }
                    foreignKey(row: row, column: column, b, sets: fkAllSets[k], self: fkSelf[k], targets: fkTargets[k])
                }
            }
            if isStopTimes { stopTime(row, record) }
        }
        if checkPrimaryKey { primaryKey(row) }
        for (s, e, allowEqual) in endRanges { endRange(row: row, start: s, end: e, allowEqual: allowEqual) }
        switch fileKind {
        case .agency: agency(row)
        case .routes: route(row)
        case .stops: stop(row)
        case .calendar:
            if let i = index["service_id"] { reader.withField(i) { b in if !b.isEmpty { run.serviceIDs.insert(b) } } }
        case .trips: trip(row)
        case .feedInfo: feedInfo(row)
        case .stopTimes, .other: break
        }
    }

    @inline(__always)
    func check(_ c: ColumnCheck, _ record: CSVRecord, row: Int) {
        let i = c.column
        if record.isEmpty(i) {
            if c.required {
                notice(.missingRequiredField, row: row, column: i, "\(name(i)) is required and empty in row \(row)")
            }
            return
        }
        record.withField(i) { b in
            if b[0] == 0x20 || b[0] == 0x09 || b[b.count - 1] == 0x20 || b[b.count - 1] == 0x09 {
                notice(
                    .leadingOrTrailingWhitespaces, row: row, column: i, value: String(decoding: b, as: UTF8.self),
                    "\(name(i)) has leading or trailing whitespace")
            }
            guard c.kind != .none else { return }
            typeCheck(c, b, row: row)
        }
    }

    func typeCheck(_ c: ColumnCheck, _ b: UnsafeBufferPointer<UInt8>, row: Int) {
        let column = c.column
        let fieldName = name(column)
        func bad(_ code: GTFSNoticeCode, _ what: String) {
            let v = String(decoding: b, as: UTF8.self)
            notice(code, row: row, column: column, value: v, "\(fieldName) '\(v)' is not \(what)")
        }
        func range(_ x: Double) {
            if c.nonNegative && x < 0 || c.positive && x <= 0 || c.nonZero && x == 0 {
                let v = String(decoding: b, as: UTF8.self)
                let rule = c.positive ? "greater than 0" : c.nonZero ? "non-zero" : "0 or more"
                notice(.numberOutOfRange, row: row, column: column, value: v, "\(fieldName) \(v) is not \(rule)")
            }
        }
        switch c.kind {
        case .none: return
        case .url:
            if !GTFSTypes.url(String(decoding: b, as: UTF8.self)) {
                bad(.invalidUrl, "a fully qualified http:// or https:// URL")
            }
        case .email:
            if !GTFSTypes.email(String(decoding: b, as: UTF8.self)) { bad(.invalidEmail, "an email address") }
        case .phone:
            if !GTFSTypes.phone(String(decoding: b, as: UTF8.self)) { bad(.invalidPhoneNumber, "a phone number") }
        case .latitude, .longitude:
            guard let x = GTFSTypes.float(b) else { return bad(.invalidFloat, "a number") }
            let limit = c.kind == .latitude ? 90.0 : 180.0
            if !(-limit...limit).contains(x) {
                let v = String(decoding: b, as: UTF8.self)
                notice(
                    .numberOutOfRange, row: row, column: column, value: v,
                    "\(fieldName) \(v) is outside [-\(Int(limit)), \(Int(limit))]")
            }
        case .integer:
            guard let x = GTFSTypes.integer(b) else { return bad(.invalidInteger, "an integer") }
            if c.nonNegative || c.positive || c.nonZero { range(Double(x)) }
        case .float:
            guard let x = GTFSTypes.float(b) else { return bad(.invalidFloat, "a number") }
            if c.nonNegative || c.positive || c.nonZero { range(x) }
        case .time:
            if GTFSTypes.time(b) == nil { bad(.invalidTime, "a time in H:MM:SS or HH:MM:SS") }
        case .date:
            if GTFSTypes.date(b) == nil { bad(.invalidDate, "a date in YYYYMMDD") }
        case .color:
            if !GTFSTypes.color(b) { bad(.invalidColor, "a six-digit hexadecimal color") }
        case .timezone:
            if !GTFSTypes.timezone(String(decoding: b, as: UTF8.self)) { bad(.invalidTimezone, "a TZ database timezone name") }
        case .language:
            if !GTFSTypes.language(String(decoding: b, as: UTF8.self)) {
                bad(.invalidLanguageCode, "an IETF BCP 47 language code")
            }
        case .currency:
            if !GTFSTypes.currencies.contains(String(decoding: b, as: UTF8.self)) {
                bad(.invalidCurrency, "an ISO 4217 currency code")
            }
        case .enumeration:
            guard let x = GTFSTypes.integer(b) else { return bad(.invalidInteger, "an integer (an enumerated value)") }
            let table = enumValues[c.enumIndex]
            if !(x >= 0 && x < table.count && table[x]) {
                notice(
                    .unexpectedEnumValue, row: row, column: column, value: "\(x)",
                    "\(fieldName) \(x) is not one of the values the reference defines")
            }
        }
    }

    func primaryKey(_ row: Int) {
        // A row with no value for a one-column key has no key (optional ids such as attribution_id).
        if keyColumns.count == 1 && reader.isEmpty(keyColumns[0]) { return }
        keyBytes.removeAll(keepingCapacity: true)
        for (n, i) in keyColumns.enumerated() {
            if n > 0 { keyBytes.append(0x1F) }
            reader.withField(i) { keyBytes.append(contentsOf: $0) }
        }
        let (id, inserted) = keyBytes.withUnsafeBufferPointer { keys.insert($0) }
        if inserted {
            keyRows.append(Int32(clamping: row))
        } else {
            let first = keyRows[Int(id)]
            let names = keyColumns.map { name($0) }.joined(separator: ", ")
            let value = keyColumns.map { self.value($0) }.joined(separator: ", ")
            notice(
                .duplicateKey, row: row, column: keyColumns[0], value: value,
                "(\(names)) = (\(value)) is already the key of row \(first)")
        }
    }

    func foreignKey(
        row: Int, column: Int, _ b: UnsafeBufferPointer<UInt8>, sets: [Int], self selfReference: Bool, targets: [String]
    ) {
        if selfReference {
            deferred.append((row, column, Array(b), targets))
            return
        }
        for s in sets where run.keys.sets[s].find(b) != nil { return }
        // A target file that is present but not read yet (fares, flex): check once everything is read.
        let unread = targets.contains { t in
            let f = String(t.prefix { $0 != "#" })
            return run.present.contains(f) && !run.readFiles.contains(f)
        }
        if unread {
            run.pendingForeignKeys.append((file, row, column, name(column), Array(b), targets))
            return
        }
        let v = String(decoding: b, as: UTF8.self)
        let referenced = targets.map { $0.replacingOccurrences(of: "#", with: ".") }.joined(separator: " or ")
        let message = "\(name(column)) '\(v)' is not a \(referenced)"
        notice(.foreignKeyViolation, row: row, column: column, value: v, message)
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
                .startAndEndRangeOutOfOrder, row: row, column: start, value: "\(value(start)) > \(value(end))",
                "\(name(start)) \(value(start)) is after \(name(end)) \(value(end))")
        } else if a == z && !allowEqual {
            notice(
                .startAndEndRangeEqual, row: row, column: start, value: value(start),
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
                .routeBothShortAndLongNameMissing, file: file, row: row,
                "route in row \(row) has neither route_short_name nor route_long_name")
        }
        if index["agency_id"].map({ reader.isEmpty($0) }) ?? true { run.routeAgencyEmptyRows.append(row) }
    }

    func stop(_ row: Int) {
        var type: Int8 = 0
        if let i = index["location_type"], let t = reader.withField(i, { GTFSTypes.integer($0) }) { type = Int8(clamping: t) }
        guard let idColumn = index["stop_id"] else { return }
        let stopSet = run.keySet("stops.txt#stop_id")
        let stopID = reader.withField(idColumn) { run.keys.sets[stopSet].find($0) ?? -1 }
        if stopID >= 0 { run.stopLocationType[stopID] = type }
        if (0...2).contains(type) {
            if index["stop_name"].map({ reader.isEmpty($0) }) ?? true {
                run.notice(
                    .missingStopName, file: file, row: row, column: (index["stop_name"] ?? -1) + 1, field: "stop_name",
                    "stop_name is required for location_type \(type)")
            }
            let noLat = index["stop_lat"].map { reader.isEmpty($0) } ?? true
            let noLon = index["stop_lon"].map { reader.isEmpty($0) } ?? true
            if noLat || noLon {
                run.notice(
                    .stopWithoutLocation, file: file, row: row, field: noLat ? "stop_lat" : "stop_lon",
                    "stop_lat and stop_lon are required for location_type \(type)")
            }
        }
        let parentColumn = index["parent_station"]
        let parent: [UInt8] = parentColumn.map { c in reader.withField(c) { Array($0) } } ?? []
        if parent.isEmpty && (2...4).contains(type) {
            run.notice(
                .locationWithoutParentStation, file: file, row: row, column: (parentColumn ?? -1) + 1,
                field: "parent_station", "parent_station is required for location_type \(type)")
        }
        if !parent.isEmpty && type == 1 {
            run.notice(
                .stationWithParentStation, file: file, row: row, column: (parentColumn ?? -1) + 1,
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

    func stopTime(_ row: Int, _ record: CSVRecord) {
        guard stTripColumn >= 0, stSeqColumn >= 0, tripSet >= 0 else { return }
        let trip = record.withField(stTripColumn) { run.keys.sets[tripSet].find($0) ?? -1 }
        guard trip >= 0, let s = GTFSTypes.integer(record.raw(stSeqColumn)), s >= 0, s <= Int(Int32.max) else { return }
        @inline(__always) func time(_ i: Int) -> Int32 {
            guard i >= 0, !record.isEmpty(i) else { return -1 }
            return GTFSTypes.time(record.raw(i)).map { Int32(clamping: $0) } ?? -2
        }
        stTrip.append(trip)
        stSeq.append(Int32(s))
        stArr.append(time(stArrColumn))
        stDep.append(time(stDepColumn))
        stRow.append(Int32(clamping: row))
    }

    func feedInfo(_ row: Int) {
        let s = index["feed_start_date"].map { !reader.isEmpty($0) } ?? false
        let e = index["feed_end_date"].map { !reader.isEmpty($0) } ?? false
        if s != e {
            run.notice(
                .missingFeedInfoDate, file: file, row: row, field: s ? "feed_end_date" : "feed_start_date",
                "feed_start_date and feed_end_date are given together")
        }
    }

    // MARK: - After the last row

    func finish() {
        for d in deferred {
            let found = d.value.withUnsafeBufferPointer { b in d.targets.contains { run.keys.sets[run.keySet($0)].find(b) != nil }
            }
            if !found {
                let v = String(decoding: d.value, as: UTF8.self)
                run.notice(
                    .foreignKeyViolation, file: file, row: d.row, column: d.column + 1, field: name(d.column),
                    value: v,
                    "\(name(d.column)) '\(v)' is not a \(d.targets.map { $0.replacingOccurrences(of: "#", with: ".") }.joined(separator: " or "))"
                )
            }
        }
        if file == "stops.txt" { parents() }
        if isStopTimes { trips() }
    }

    func parents() {
        let ids = run.keys.sets[run.keySet("stops.txt#stop_id")]
        for p in run.stopParents {
            guard let parentID = p.parent.withUnsafeBufferPointer({ ids.find($0) }),
                let parentType = run.stopLocationType[parentID]
            else { continue }  // an unknown parent is a foreign key violation, reported above
            let expected: Int8 = p.type == 4 ? 0 : 1
            if parentType != expected {
                run.notice(
                    .wrongParentLocationType, file: file, row: p.row, column: p.column + 1, field: "parent_station",
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
                        .duplicateKey, file: file, row: Int(stRow[b]), column: seqColumn, field: "stop_sequence",
                        value: "\(stSeq[b])",
                        "(trip_id, stop_sequence) = (…, \(stSeq[b])) is already the key of row \(stRow[a])")
                }
            }
            // The first and last stop of a trip have an arrival_time.
            for k in start == end ? [start] : [start, end] where stArr[order[k]] == -1 {
                run.notice(
                    .missingTripEdge, file: file, row: Int(stRow[order[k]]), column: arrColumn, field: "arrival_time",
                    "the \(k == start ? "first" : "last") stop of a trip has no arrival_time")
            }
            // Times do not go backwards along the trip.
            var previous: (time: Int32, row: Int32)?
            for k in start...end {
                let i = order[k]
                if let p = previous, stArr[i] >= 0, stArr[i] < p.time {
                    run.notice(
                        .stopTimeWithArrivalBeforePreviousDepartureTime, file: file, row: Int(stRow[i]),
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
