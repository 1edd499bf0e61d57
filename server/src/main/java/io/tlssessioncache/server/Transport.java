package io.tlssessioncache.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Which Netty transport {@code serve} runs on: the native epoll transport on Linux when its library
 * loads (fewer system calls and no selector bookkeeping per connection), otherwise NIO. The system
 * property {@value #PROPERTY} ({@code auto}, {@code epoll} or {@code nio}) overrides the choice:
 * {@code nio} always works, {@code epoll} fails to start when the native library is unavailable.
 *
 * @param name          {@code epoll} or {@code nio}, for the log
 * @param ioHandlers    makes the event loops' I/O handlers
 * @param serverChannel the listening socket's channel class
 */
record Transport(String name, Supplier<IoHandlerFactory> ioHandlers, Class<? extends ServerChannel> serverChannel) {

    static final String PROPERTY = "tlssessioncache.transport";

    static final Transport NIO = new Transport("nio", NioIoHandler::newFactory, NioServerSocketChannel.class);

    /** The transport this JVM should use (see the class comment). */
    static Transport choose() {
        String wanted = System.getProperty(PROPERTY, "auto").strip().toLowerCase(Locale.ROOT);
        return switch (wanted) {
            case "nio" -> NIO;
            case "epoll" -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("-D" + PROPERTY + "=epoll, but Netty's epoll transport is unavailable: "
                            + Epoll.unavailabilityCause());
                }
                yield epoll();
            }
            case "auto", "" -> Epoll.isAvailable() ? epoll() : NIO;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + " must be auto, epoll or nio, not '" + wanted + "'");
        };
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollIoHandler::newFactory, EpollServerSocketChannel.class);
    }
}
