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
