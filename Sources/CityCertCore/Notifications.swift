/// A request received by the run's notification receiver (a callback from the target).
public struct ReceivedNotification: Sendable {
    public let method: String
    public let path: String
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    /// Seconds since 1970 when it arrived.
    public let received: Double

    public init(method: String, path: String, headers: [(name: String, value: String)], body: [UInt8], received: Double) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.received = received
    }

    public func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}

/// The endpoint a run hosts for notifications: its public URL, and a way to wait for what arrives.
/// The runner gets it passed in, like the transport; the SwiftNIO implementation lives in
/// CityCertReceiver.
public protocol NotificationInbox: Sendable {
    /// The URL targets are told to send notifications to.
    var url: String { get }
    /// Every notification received so far, oldest first.
    func received() -> [ReceivedNotification]
    /// Notifications that arrived after the store was full (answered, not kept).
    var droppedCount: Int { get }
    /// Waits until a notification at or after `index` satisfies `matching`, or `within` seconds pass.
    func wait(from index: Int, within: Double, matching: @escaping @Sendable (ReceivedNotification) -> Bool) async
        -> (index: Int, notification: ReceivedNotification)?
}
