/// The head every profile written inside a test starts with (format, id, title, version, standard); a test
/// appends its inputs, schemas and requirements.
public enum InlineProfile {
    public static func head(format: String = "1", id: String = "t") -> String {
        """
        citycert: \(format)
        id: \(id)
        title: T
        version: "1"
        standard: {name: S, version: "1"}
        """
    }
}
