import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One POST over plain HTTP/1.1 with SwiftNIO's HTTP codec (NIOHTTP1): the request
/// encoded, the answer decoded (Content-Length, chunked, or to the end) by NIO, with a
/// timeout for the whole exchange.
enum HTTPPost {
    struct Failure: Error { var description: String }

    static func post(host: String, port: Int, path: String, headers: [(String, String)], body: [UInt8],
                     timeout: TimeAmount) throws -> (status: Int, body: [UInt8]) {
        // NIO's process-wide loops, started once: harvest's three queries share them.
        let group = MultiThreadedEventLoopGroup.singleton
        let collector = ResponseCollector(promise: group.next().makePromise())
        let channel: Channel
        do {
            channel = try ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.pipeline.addHTTPClientHandlers().flatMap { channel.pipeline.addHandler(collector) }
                }
                .connect(host: host, port: port).wait()
        } catch let error as NIOConnectionError where error.connectionErrors.isEmpty && (error.dnsAError != nil || error.dnsAAAAError != nil) {
            throw Failure(description: "cannot resolve \(host)")
        } catch {
            throw Failure(description: "cannot connect (\(reason(error)))")
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            collector.promise.fail(Failure(description: "no answer within \(timeout.nanoseconds / 1_000_000_000) s"))
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            let answer = try collector.promise.futureResult.wait()
            channel.close(promise: nil)
            return answer
        } catch let failure as Failure {
            throw failure
        } catch let error as HTTPParserError where error == .invalidEOFState {
            throw Failure(description: reason(error))
        } catch {
            throw Failure(description: "reading the answer failed (\(reason(error)))")
        }
    }

    /// The system's words for a socket error (strerror), else NIO's.
    static func reason(_ error: Error) -> String {
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first { return reason(first.error) }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? HTTPParserError {
            return error == .invalidEOFState ? "the server closed the connection before its answer ended" : "not an HTTP answer: \(error)"
        }
        return "\(error)"
    }

    /// Gathers the answer's status and body, and fulfils the promise at its end.
    final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<(status: Int, body: [UInt8])>
        var status = 0
        var body: [UInt8] = []

        init(promise: EventLoopPromise<(status: Int, body: [UInt8])>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): status = Int(head.status.code)
            case .body(var buffer): body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end: promise.succeed((status, body))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(Failure(description: "the server closed the connection before its answer ended"))
        }
    }
}
