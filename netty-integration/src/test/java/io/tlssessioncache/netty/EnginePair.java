package io.tlssessioncache.netty;

import io.netty.buffer.ByteBufAllocator;

import java.nio.ByteBuffer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/** A JDK client engine and our server engine wired back to back in memory (no sockets). */
final class EnginePair {
    final SSLEngine client;
    final OpenSslServerEngine server;
    final ByteBuffer c2s;
    final ByteBuffer s2c;
    final ByteBuffer clientApp = ByteBuffer.allocate(1 << 16);
    final ByteBuffer serverApp;
    boolean clientSawClosed;
    boolean serverSawClosed;

    EnginePair(SSLContext clientContext, ResumingSslContext serverContext, String... protocols) {
        this(false, clientContext, serverContext, protocols);
    }

    /** With {@code direct}, the network buffers and the server's plaintext buffer are direct. */
    EnginePair(boolean direct, SSLContext clientContext, ResumingSslContext serverContext, String... protocols) {
        c2s = direct ? ByteBuffer.allocateDirect(1 << 17) : ByteBuffer.allocate(1 << 17);
        s2c = direct ? ByteBuffer.allocateDirect(1 << 17) : ByteBuffer.allocate(1 << 17);
        serverApp = direct ? ByteBuffer.allocateDirect(1 << 16) : ByteBuffer.allocate(1 << 16);
        client = clientContext.createSSLEngine("localhost", 443);
        client.setUseClientMode(true);
        if (protocols.length > 0) {
            client.setEnabledProtocols(protocols);
        }
        server = serverContext.newOpenSslEngine("localhost", 443);
    }

    void handshake() throws SSLException {
        client.beginHandshake();
        for (int i = 0; i < 50; i++) {
            pump();
            if (client.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING
                    && server.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING
                    && server.getSession().isValid()) {
                pump(); // deliver post-handshake messages (TLS 1.3 tickets)
                return;
            }
        }
        throw new IllegalStateException("handshake did not finish: client " + client.getHandshakeStatus()
                + ", server " + server.getHandshakeStatus());
    }

    /** One round: each side wraps everything it has, the other unwraps everything it got. */
    void pump() throws SSLException {
        wrapAll(client, c2s);
        unwrapAll(server, c2s, serverApp, true);
        wrapAll(server, s2c);
        unwrapAll(client, s2c, clientApp, false);
    }

    /** Sends application data from the client (as much as wrap takes per call). */
    void clientSends(ByteBuffer data) throws SSLException {
        while (data.hasRemaining()) {
            ensureRoom(true);
            SSLEngineResult r = client.wrap(data, c2s);
            check(r);
            unwrapAll(server, c2s, serverApp, true);
            drainApp(serverApp, received);
        }
    }

    void serverSends(ByteBuffer data) throws SSLException {
        while (data.hasRemaining()) {
            ensureRoom(false);
            SSLEngineResult r = server.wrap(data, s2c);
            check(r);
            unwrapAll(client, s2c, clientApp, false);
            drainApp(clientApp, received);
        }
    }

    /** Counts bytes the receiving side got (sum over both directions). */
    final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();

    private void drainApp(ByteBuffer app, java.io.ByteArrayOutputStream sink) {
        app.flip();
        byte[] b = new byte[app.remaining()];
        app.get(b);
        sink.writeBytes(b);
        app.clear();
    }

    /** Moves what the server decrypted so far into {@link #received}. */
    void collectServerApp() {
        drainApp(serverApp, received);
    }

    void collectClientApp() {
        drainApp(clientApp, received);
    }

    private void ensureRoom(boolean c2sSide) {
        ByteBuffer b = c2sSide ? c2s : s2c;
        if (b.remaining() < 40_000) {
            throw new IllegalStateException("network buffer not drained");
        }
    }

    private static void check(SSLEngineResult r) {
        if (r.getStatus() != SSLEngineResult.Status.OK) {
            throw new IllegalStateException("unexpected " + r);
        }
    }

    private void wrapAll(SSLEngine e, ByteBuffer net) throws SSLException {
        for (int i = 0; i < 20; i++) {
            SSLEngineResult r = e.wrap(ByteBuffer.allocate(0), net);
            runTasks(e);
            if (r.bytesProduced() == 0) {
                return;
            }
        }
    }

    private void unwrapAll(SSLEngine e, ByteBuffer net, ByteBuffer app, boolean isServer) throws SSLException {
        net.flip();
        try {
            for (int i = 0; i < 1000 && net.hasRemaining(); i++) {
                SSLEngineResult r = e.unwrap(net, app);
                runTasks(e);
                drainApp(app, received);
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                    if (isServer) {
                        serverSawClosed = true;
                    } else {
                        clientSawClosed = true;
                    }
                }
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW
                        || (r.bytesConsumed() == 0 && r.bytesProduced() == 0)) {
                    break;
                }
            }
        } finally {
            net.compact();
        }
    }

    private static void runTasks(SSLEngine e) {
        for (Runnable t; (t = e.getDelegatedTask()) != null; ) {
            t.run();
        }
    }
}
