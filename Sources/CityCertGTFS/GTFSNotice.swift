/// One finding of the GTFS validator, with the code the reference validator (MobilityData
/// gtfs-validator) uses for the same rule where there is one, located by file, row and column.
public struct GTFSNotice: Sendable, Equatable {
    public enum Severity: String, Sendable { case error = "ERROR", warning = "WARNING", info = "INFO" }
    public let code: String
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
}

extension GTFSNotice {
    /// Every code the validator emits (a test keeps this, the profile and the reference validator's
    /// codes in step). All but `invalid_utf8`, `utf8_bom` and `tab_in_value` are MobilityData
    /// gtfs-validator codes.
    public static let codes: Set<String> = [
        "csv_parsing_failed", "duplicate_key", "duplicated_column", "empty_column_name", "empty_file", "foreign_key_violation",
        "i_o_error", "inconsistent_agency_timezone", "invalid_color", "invalid_currency", "invalid_date", "invalid_email",
        "invalid_float", "invalid_input_files_in_subfolder", "invalid_integer", "invalid_language_code", "invalid_phone_number",
        "invalid_row_length", "invalid_time", "invalid_timezone", "invalid_url", "invalid_utf8",
        "leading_or_trailing_whitespaces",
        "location_without_parent_station", "missing_calendar_and_calendar_date_files", "missing_feed_info_date",
        "missing_required_column", "missing_required_field", "missing_required_file", "missing_stop_name", "missing_trip_edge",
        "new_line_in_value", "number_out_of_range", "route_both_short_and_long_name_missing", "start_and_end_range_equal",
        "start_and_end_range_out_of_order", "station_with_parent_station",
        "stop_time_with_arrival_before_previous_departure_time",
        "stop_without_location", "tab_in_value", "unexpected_enum_value", "unknown_column", "unknown_file", "utf8_bom",
        "wrong_parent_location_type",
    ]
}
