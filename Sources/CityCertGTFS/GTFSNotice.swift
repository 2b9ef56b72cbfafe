/// One finding of the GTFS validator, with the code the reference validator (MobilityData
/// gtfs-validator) uses for the same rule where there is one, located by file, row and column.
public struct GTFSNotice: Sendable, Equatable {
    public enum Severity: String, Sendable { case error = "ERROR", warning = "WARNING", info = "INFO" }
    public let code: GTFSNoticeCode
    public let severity: Severity
    /// The file inside the feed (`stops.txt`), empty for feed-level notices.
    public let file: String
    /// CSV row (the header is row 1), 0 for file-level notices.
    public let row: Int
    /// 1-based column of the field, 0 when no field.
    public let column: Int
    public let field: String
    public let value: String
    public let message: String
}

/// What validating one feed gave: its notices, or the reason it could not be read at all.
public struct GTFSResult: Sendable {
    public let feed: String
    public let notices: [GTFSNotice]
    public let fatal: String?
    /// Rows read, per file.
    public let rows: [String: Int]
    /// Notices past the validator's limit per code, counted per code and file but not kept.
    public var dropped: [GTFSNoticeCode: [String: Int]] = [:]

    public init(
        feed: String, notices: [GTFSNotice], fatal: String?, rows: [String: Int], dropped: [GTFSNoticeCode: [String: Int]] = [:]
    ) {
        self.feed = feed
        self.notices = notices
        self.fatal = fatal
        self.rows = rows
        self.dropped = dropped
    }
}

extension GTFSNotice {
    /// Every code the validator emits, as text (profiles name them so).
    public static let codes: Set<String> = Set(GTFSNoticeCode.allCases.map(\.rawValue))
}

/// Every notice the validator emits, with its severity. The codes are MobilityData gtfs-validator's
/// where the rule is the same (all but `invalid_utf8`, `utf8_bom` and `tab_in_value`); a test keeps them, the shipped
/// profile and the reference validator's notice list in step.
public enum GTFSNoticeCode: String, CaseIterable, Sendable {
    case csvParsingFailed = "csv_parsing_failed"
    case duplicateKey = "duplicate_key"
    case duplicatedColumn = "duplicated_column"
    case emptyColumnName = "empty_column_name"
    case emptyFile = "empty_file"
    case foreignKeyViolation = "foreign_key_violation"
    case iOError = "i_o_error"
    case inconsistentAgencyTimezone = "inconsistent_agency_timezone"
    case invalidColor = "invalid_color"
    case invalidCurrency = "invalid_currency"
    case invalidDate = "invalid_date"
    case invalidEmail = "invalid_email"
    case invalidFloat = "invalid_float"
    case invalidInputFilesInSubfolder = "invalid_input_files_in_subfolder"
    case invalidInteger = "invalid_integer"
    case invalidLanguageCode = "invalid_language_code"
    case invalidPhoneNumber = "invalid_phone_number"
    case invalidRowLength = "invalid_row_length"
    case invalidTime = "invalid_time"
    case invalidTimezone = "invalid_timezone"
    case invalidUrl = "invalid_url"
    case invalidUtf8 = "invalid_utf8"
    case leadingOrTrailingWhitespaces = "leading_or_trailing_whitespaces"
    case locationWithoutParentStation = "location_without_parent_station"
    case missingCalendarAndCalendarDateFiles = "missing_calendar_and_calendar_date_files"
    case missingFeedInfoDate = "missing_feed_info_date"
    case missingRequiredColumn = "missing_required_column"
    case missingRequiredField = "missing_required_field"
    case missingRequiredFile = "missing_required_file"
    case missingStopName = "missing_stop_name"
    case missingTripEdge = "missing_trip_edge"
    case newLineInValue = "new_line_in_value"
    case numberOutOfRange = "number_out_of_range"
    case routeBothShortAndLongNameMissing = "route_both_short_and_long_name_missing"
    case startAndEndRangeEqual = "start_and_end_range_equal"
    case startAndEndRangeOutOfOrder = "start_and_end_range_out_of_order"
    case stationWithParentStation = "station_with_parent_station"
    case stopTimeWithArrivalBeforePreviousDepartureTime = "stop_time_with_arrival_before_previous_departure_time"
    case stopWithoutLocation = "stop_without_location"
    case tabInValue = "tab_in_value"
    case unexpectedEnumValue = "unexpected_enum_value"
    case unknownColumn = "unknown_column"
    case unknownFile = "unknown_file"
    case utf8Bom = "utf8_bom"
    case wrongParentLocationType = "wrong_parent_location_type"

    public var severity: GTFSNotice.Severity {
        switch self {
        case .csvParsingFailed: return .error
        case .duplicateKey: return .error
        case .duplicatedColumn: return .error
        case .emptyColumnName: return .error
        case .emptyFile: return .error
        case .foreignKeyViolation: return .error
        case .iOError: return .error
        case .inconsistentAgencyTimezone: return .error
        case .invalidColor: return .error
        case .invalidCurrency: return .error
        case .invalidDate: return .error
        case .invalidEmail: return .error
        case .invalidFloat: return .error
        case .invalidInputFilesInSubfolder: return .error
        case .invalidInteger: return .error
        case .invalidLanguageCode: return .error
        case .invalidPhoneNumber: return .error
        case .invalidRowLength: return .error
        case .invalidTime: return .error
        case .invalidTimezone: return .error
        case .invalidUrl: return .error
        case .invalidUtf8: return .warning
        case .leadingOrTrailingWhitespaces: return .warning
        case .locationWithoutParentStation: return .error
        case .missingCalendarAndCalendarDateFiles: return .error
        case .missingFeedInfoDate: return .warning
        case .missingRequiredColumn: return .error
        case .missingRequiredField: return .error
        case .missingRequiredFile: return .error
        case .missingStopName: return .error
        case .missingTripEdge: return .error
        case .newLineInValue: return .error
        case .numberOutOfRange: return .error
        case .routeBothShortAndLongNameMissing: return .error
        case .startAndEndRangeEqual: return .error
        case .startAndEndRangeOutOfOrder: return .error
        case .stationWithParentStation: return .error
        case .stopTimeWithArrivalBeforePreviousDepartureTime: return .error
        case .stopWithoutLocation: return .error
        case .tabInValue: return .error
        case .unexpectedEnumValue: return .warning
        case .unknownColumn: return .info
        case .unknownFile: return .info
        case .utf8Bom: return .info
        case .wrongParentLocationType: return .error
        }
    }
}
