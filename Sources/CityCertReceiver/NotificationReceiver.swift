public import CityCertCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP endpoint a run hosts for notifications (oneM2M subscriptions, webhooks), on SwiftNIO.
/// Bounded: bodies over `maxBodyBytes` are answered 413 and dropped, at most `maxStored`
/// notifications are kept, idle connections are closed after `idleTimeout`; `stop()` closes it all.
///
/// It answers every request 200 OK with an empty body; a request carrying `X-M2M-RI` gets it echoed
/// with `X-M2M-RSC: 2000`, which is what a oneM2M CSE expects from a notification target (including
/// the verification request sent when a subscription is created).
public final class NotificationReceiver: NotificationInbox {
    public let url: String
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let store: Store

    final class Store: Sendable {
        let items = Mutex<[ReceivedNotification]>([])
        /// Notifications past `maxStored`: answered, not kept, and counted so a failed wait can say so.
        let dropped = Mutex(0)
        let maxStored: Int
        init(maxStored: Int) { self.maxStored = maxStored }
        func add(_ n: ReceivedNotification) {
            let kept = items.withLock { s -> Bool in
                guard s.count < maxStored else { return false }
                s.append(n)
                return true
            }
            if !kept { dropped.withLock { $0 += 1 } }
        }
    }

    /// How many notifications arrived after the store was full (not kept).
    public var droppedCount: Int { store.dropped.withLock { $0 } }

    public struct ReceiverError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Binds `host:port` (port 0 picks a free one). `publicURL` is the URL announced to targets when
    /// they reach this machine under another address.
    public init(
        host: String = "127.0.0.1", port: Int = 0, publicURL: String? = nil, maxBodyBytes: Int = 1 << 20, maxStored: Int = 10_000,
        idleTimeout: Double = 30
    ) throws {
        let idle = TimeAmount.milliseconds(Int64(min(max(idleTimeout, 0.001), 86_400) * 1000))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let store = Store(maxStored: maxStored)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(store: store, maxBodyBytes: maxBodyBytes))
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw ReceiverError(description: "cannot listen on \(host):\(port) for notifications: \(error)")
        }
        self.group = group
        self.store = store
        let bound = channel.localAddress?.port ?? port
        url = publicURL ?? "http://\(host):\(bound)"
    }

    public func received() -> [ReceivedNotification] { store.items.withLock { $0 } }

    public func wait(from index: Int, within: Double, matching: @escaping @Sendable (ReceivedNotification) -> Bool) async
        -> (index: Int, notification: ReceivedNotification)?
    {
        let deadline = Date().addingTimeInterval(within)
        var next = index
        while true {
            let items = received()
            while next < items.count {
                if matching(items[next]) { return (next, items[next]) }
                next += 1
            }
            if Date() >= deadline { return nil }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// Closes the listening socket and every connection.
    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let store: Store
        let maxBodyBytes: Int
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        var tooLarge = false

        init(store: Store, maxBodyBytes: Int) {
            self.store = store
            self.maxBodyBytes = maxBodyBytes
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body.removeAll()
                tooLarge = false
            case .body(var buffer):
                guard !tooLarge else { return }
                if body.count + buffer.readableBytes > maxBodyBytes {
                    // Answer and close now: an endless body must not keep the connection (and memory) busy.
                    tooLarge = true
                    body.removeAll()
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Length", value: "0")
                    headers.add(name: "Connection", value: "close")
                    let response = HTTPResponseHead(
                        version: head?.version ?? .http1_1, status: .payloadTooLarge, headers: headers)
                    context.write(wrapOutboundOut(.head(response)), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
                } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                    body += bytes
                }
            case .end:
                guard let h = head, !tooLarge else {
                    head = nil
                    return
                }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "0")
                let status = HTTPResponseStatus.ok
                do {
                    store.add(
                        ReceivedNotification(
                            method: h.method.rawValue, path: h.uri, headers: h.headers.map { ($0.name, $0.value) }, body: body,
                            received: Date().timeIntervalSince1970))
                    if let ri = h.headers.first(name: "X-M2M-RI") {
                        headers.add(name: "X-M2M-RI", value: ri)
                        headers.add(name: "X-M2M-RSC", value: "2000")
                    }
                }
                let response = HTTPResponseHead(version: h.version, status: status, headers: headers)
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                let close = !h.isKeepAlive
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                    if close { context.close(promise: nil) }
                }
                head = nil
                body.removeAll()
            }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is IdleStateHandler.IdleStateEvent {
                context.close(promise: nil)
            } else {
                context.fireUserInboundEventTriggered(event)
            }
        }
    }
}
