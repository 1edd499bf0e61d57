package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The transport {@code serve} picks: epoll where Netty's native library loads, NIO otherwise or when asked. */
@Timeout(60)
class TransportTest {

    @AfterEach
    void clear() {
        System.clearProperty(Transport.PROPERTY);
    }

    @Test
    void epollOnLinuxWhereTheNativeLibraryLoads() {
        // This build ships the linux-x86_64 library; on other platforms auto falls back to NIO.
        boolean linuxX64 = System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64");
        if (linuxX64) {
            assertTrue(Epoll.isAvailable(), () -> "epoll should load here: " + Epoll.unavailabilityCause());
        }
        Transport t = Transport.choose();
        assertEquals(Epoll.isAvailable() ? "epoll" : "nio", t.name());
        assertEquals(Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class, t.serverChannel());
    }

    @Test
    void nioWhenAskedAndRejectsUnknownNames() {
        System.setProperty(Transport.PROPERTY, "NIO");
        assertEquals(Transport.NIO, Transport.choose());
        System.setProperty(Transport.PROPERTY, "kqueue");
        assertThrows(IllegalArgumentException.class, Transport::choose);
    }

    @Test
    void oneEventLoopPerCpuUnlessConfigured() {
        assertEquals(io.netty.util.NettyRuntime.availableProcessors(), ServerNode.eventLoopThreads());
        System.setProperty("io.netty.eventLoopThreads", "3");
        try {
            assertEquals(3, ServerNode.eventLoopThreads());
        } finally {
            System.clearProperty("io.netty.eventLoopThreads");
        }
    }

    @Test
    void servesOverEitherTransport() throws Exception {
        for (String transport : new String[] {"nio", "auto"}) {
            System.setProperty(Transport.PROPERTY, transport);
            ServerNode server = TestServers.start("serve", "--listen", "127.0.0.1:0");
            try {
                HttpClient client = HttpClient.newBuilder().sslContext(TestServers.trusting(server.certificateFile())).build();
                URI uri = URI.create("https://localhost:" + server.addresses().getFirst().getPort() + "/");
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), transport);
                assertTrue(r.body().contains("resumed: no"), r.body());
            } finally {
                server.close();
            }
        }
    }
}
