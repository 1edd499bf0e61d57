package io.tlssessioncache.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** Clients that misbehave on purpose, made of the JDK's real TLS client and plain sockets. */
final class HostileClients {

    /** Bytes that must never show up in a server log, in clear or as Netty's hex dump. */
    static final String MARKER = "SECRET-CLIENT-BYTES-7f3a";
    static final String MARKER_HEX = java.util.HexFormat.of().formatHex(MARKER.getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    private final SSLContext tls;

    /** Clients whose TLS handshakes trust {@code tls}'s roots (the server under attack). */
    HostileClients(SSLContext tls) {
        this.tls = tls;
    }

    /** Sends a real ClientHello, waits for the first bytes of the ServerHello, then resets the connection. */
    void resetAfterServerHello(InetSocketAddress server) throws IOException {
        SSLEngine engine = tls.createSSLEngine("localhost", server.getPort());
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer hello = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), hello);
        hello.flip();
        try (Socket socket = new Socket()) {
            socket.connect(server, 5000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(hello.array(), 0, hello.limit());
            if (socket.getInputStream().read(new byte[64]) <= 0) {
                throw new IOException("no ServerHello");
            }
            socket.setSoLinger(true, 0); // close() sends a RST
        }
    }

    /** A completed TLS handshake offering {@code alpn}. */
    SSLSocket handshake(InetSocketAddress server, String... alpn) throws IOException {
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
        socket.connect(server, 5000);
        socket.setSoTimeout(20_000);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(alpn);
        parameters.setServerNames(List.of(new javax.net.ssl.SNIHostName("localhost")));
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    /** After an h2 handshake, an HTTP/1 request carrying {@link #MARKER} instead of the HTTP/2 preface. */
    void junkAfterH2(InetSocketAddress server) throws IOException {
        try (SSLSocket socket = handshake(server, "h2")) {
            if (!"h2".equals(socket.getApplicationProtocol())) {
                throw new IOException("server did not choose h2: " + socket.getApplicationProtocol());
            }
            socket.getOutputStream().write(("GET /" + MARKER + " HTTP/1.1\r\nHost: " + MARKER + "\r\n\r\n").getBytes());
            drain(socket.getInputStream());
        }
    }

    /** After an h2 handshake, binary junk carrying {@link #MARKER} (Netty answers with a hex dump in its message). */
    void binaryJunkAfterH2(InetSocketAddress server) throws IOException {
        try (SSLSocket socket = handshake(server, "h2")) {
            socket.getOutputStream().write(("\u0001\u0002\u0003" + MARKER + MARKER).getBytes());
            drain(socket.getInputStream());
        }
    }

    /** After an HTTP/1.1 handshake, a request line that is not HTTP. */
    void junkAfterHttp1(InetSocketAddress server) throws IOException {
        try (SSLSocket socket = handshake(server, "http/1.1")) {
            socket.getOutputStream().write(("\u0000\u0001" + MARKER + "\r\n\r\n").getBytes());
            drain(socket.getInputStream());
        }
    }

    /** Plain text where a ClientHello belongs. */
    static void plainText(InetSocketAddress server) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(server, 5000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + MARKER + "\r\n\r\n").getBytes());
            drain(socket.getInputStream());
        }
    }

    /** Reads until the server closes (or resets). */
    static void drain(InputStream in) {
        byte[] buffer = new byte[4096];
        try {
            while (in.read(buffer) >= 0) {
                // discard
            }
        } catch (IOException closed) {
            // reset or timeout: gone either way
        }
    }

    /**
     * Writes {@code bytes} one byte per {@code gapMillis} until done or the server closes; returns
     * the milliseconds from the first byte until the write or read side saw the close, or -1 if
     * everything was written and the connection is still open.
     */
    static long trickle(SSLSocket socket, byte[] bytes, long gapMillis) throws InterruptedException {
        long start = System.nanoTime();
        Thread reader = Thread.ofPlatform().daemon().start(() -> drain(safeInput(socket)));
        OutputStream out;
        try {
            out = socket.getOutputStream();
            for (byte b : bytes) {
                if (!reader.isAlive()) {
                    break;
                }
                out.write(b);
                out.flush();
                reader.join(gapMillis);
            }
        } catch (IOException closed) {
            // the server closed while we wrote
        }
        if (reader.isAlive()) {
            reader.join(100);
        }
        return reader.isAlive() ? -1 : (System.nanoTime() - start) / 1_000_000;
    }

    private static InputStream safeInput(SSLSocket socket) {
        try {
            return socket.getInputStream();
        } catch (IOException e) {
            return InputStream.nullInputStream();
        }
    }

}
