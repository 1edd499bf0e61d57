package io.tlssessioncache.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tlssessioncache.core.SessionId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tlssessioncache.netty.ClientHelloBytes.filled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class ClientHelloParserTest {

    static ClientHelloInfo parse(byte[] body) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        int r = buf.readerIndex();
        int w = buf.writerIndex();
        try {
            return ClientHelloParser.parse(buf);
        } finally {
            assertEquals(r, buf.readerIndex(), "reader index untouched");
            assertEquals(w, buf.writerIndex(), "writer index untouched");
        }
    }

    static MalformedClientHelloException malformed(ClientHelloBytes hello) {
        return malformed(hello.body());
    }

    static MalformedClientHelloException malformed(byte[] body) {
        return assertThrows(MalformedClientHelloException.class, () -> parse(body));
    }

    // ---- handcrafted ----

    @Test
    void tls12HelloWithoutExtensions() {
        ClientHelloBytes h = new ClientHelloBytes();
        h.withExtensionsField = false;
        ClientHelloInfo info = parse(h.body());
        assertEquals(0x0303, info.legacyVersion());
        assertTrue(info.offersTls12());
        assertFalse(info.offersTls13());
        assertEquals(Optional.empty(), info.legacySessionId());
        assertEquals(Optional.empty(), info.serverName());
        assertTrue(info.pskIdentities().isEmpty());
    }

    @Test
    void legacySessionIdOnlyWhen32Bytes() {
        byte[] id = filled(32, 7);
        assertEquals(Optional.of(SessionId.of(id)), parse(new ClientHelloBytes().sessionId(id).body()).legacySessionId());
        assertEquals(Optional.empty(), parse(new ClientHelloBytes().sessionId(filled(16, 7)).body()).legacySessionId());
        assertEquals(Optional.empty(), parse(new ClientHelloBytes().sessionId(filled(31, 7)).body()).legacySessionId());
        malformed(new ClientHelloBytes().sessionId(filled(33, 7)));
    }

    @Test
    void tls11ClientDoesNotOfferTls12() {
        ClientHelloBytes h = new ClientHelloBytes();
        h.legacyVersion = 0x0302;
        assertFalse(parse(h.body()).offersTls12());
        h.legacyVersion = 0x0202;
        malformed(h);
    }

    @Test
    void supportedVersionsDecideTls13AndTls12() {
        ClientHelloInfo only13 = parse(new ClientHelloBytes().supportedVersions(0x0304).body());
        assertTrue(only13.offersTls13());
        assertFalse(only13.offersTls12());
        ClientHelloInfo grease = parse(new ClientHelloBytes().supportedVersions(0x1a1a, 0x0304, 0x0303).body());
        assertTrue(grease.offersTls13());
        assertTrue(grease.offersTls12());
        malformed(new ClientHelloBytes().extension(43, new byte[] {3, 3, 4, 3}));
        malformed(new ClientHelloBytes().extension(43, new byte[] {0}));
        malformed(new ClientHelloBytes().extension(43, new byte[] {2, 3, 4, 0})); // trailing byte
    }

    @Test
    void serverNameIsValidatedAndLowerCased() {
        assertEquals(Optional.of("www.example.com"),
                parse(new ClientHelloBytes().sni("WWW.Example.COM").body()).serverName());
        assertEquals(Optional.of("a-b_c.x9"), parse(new ClientHelloBytes().sni("a-b_c.X9").body()).serverName());
        String longest = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(63);
        assertEquals(255, longest.length());
        assertEquals(Optional.of(longest), parse(new ClientHelloBytes().sni(longest).body()).serverName());

        for (String bad : List.of("", "a..b", ".a", "a.", "a b", "a\u0000b", "é.test", "a/b", "a:443",
                longest + "e", "x".repeat(64) + ".test")) {
            MalformedClientHelloException e = malformed(new ClientHelloBytes().sni(bad));
            assertFalse(e.getMessage().contains(bad.isEmpty() ? "\u0001" : bad), "no input echoed: " + e.getMessage());
        }
    }

    @Test
    void serverNameListHoldsExactlyOneHostName() {
        byte[] entry = {0, 0, 1, 'a'};
        byte[] two = new byte[entry.length * 2];
        System.arraycopy(entry, 0, two, 0, 4);
        System.arraycopy(entry, 0, two, 4, 4);
        malformed(new ClientHelloBytes().extension(0, ClientHelloBytes.vec16(two)));
        malformed(new ClientHelloBytes().extension(0, ClientHelloBytes.vec16(new byte[] {1, 0, 1, 'a'})));
        malformed(new ClientHelloBytes().extension(0, new byte[0]));
        malformed(new ClientHelloBytes().extension(0, ClientHelloBytes.vec16(new byte[] {0, 0, 5, 'a'})));
    }

    @Test
    void alpnList() {
        assertEquals(List.of("h2", "http/1.1"), parse(new ClientHelloBytes().alpn("h2", "http/1.1").body())
                .applicationProtocols());
        malformed(new ClientHelloBytes().extension(16, ClientHelloBytes.vec16(new byte[] {0})));
        malformed(new ClientHelloBytes().extension(16, ClientHelloBytes.vec16(new byte[0])));
    }

    @Test
    void pskIdentitiesOf32BytesInOrder() {
        byte[] a = filled(32, 1);
        byte[] b = filled(32, 2);
        ClientHelloInfo info = parse(ClientHelloBytes.tls13().sni("a.test").psk(a, filled(100, 9), b, filled(31, 3)).body());
        assertEquals(List.of(SessionId.of(a), SessionId.of(b)), info.pskIdentities());
        assertEquals(Optional.of(SessionId.of(a)), info.firstPskIdentity());
        assertTrue(info.offersTls13());
        assertTrue(info.offersPskModes());
        assertEquals(Optional.of("a.test"), info.serverName());
    }

    @Test
    void pskIdentitiesAreBounded() {
        byte[][] ids = new byte[20][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = filled(32, i);
        }
        List<SessionId> got = parse(ClientHelloBytes.tls13().psk(ids).body()).pskIdentities();
        assertEquals(ClientHelloParser.MAX_PSK_IDENTITIES, got.size());
        assertEquals(SessionId.of(ids[0]), got.getFirst());
        assertEquals(SessionId.of(ids[7]), got.getLast());
    }

    @Test
    void pskKeyExchangeModes() {
        assertFalse(parse(new ClientHelloBytes().supportedVersions(0x0304).psk(filled(32, 1)).body()).offersPskModes());
        assertFalse(parse(new ClientHelloBytes().pskModes(7).body()).offersPskModes());
        assertTrue(parse(new ClientHelloBytes().pskModes(7, 0).body()).offersPskModes());
        malformed(new ClientHelloBytes().extension(45, new byte[] {0}));
    }

    @Test
    void preSharedKeyMustBeLast() {
        MalformedClientHelloException e = malformed(ClientHelloBytes.tls13().psk(filled(32, 1)).sni("a.test"));
        assertTrue(e.getMessage().contains("last"), e.getMessage());
    }

    @Test
    void preSharedKeyStructure() {
        byte[][] one = {filled(32, 1)};
        malformed(ClientHelloBytes.tls13().extension(41, ClientHelloBytes.pskData(one, 0, 32)));
        malformed(ClientHelloBytes.tls13().extension(41, ClientHelloBytes.pskData(one, 2, 32)));
        malformed(ClientHelloBytes.tls13().extension(41, ClientHelloBytes.pskData(one, 1, 31)));
        malformed(ClientHelloBytes.tls13().extension(41, ClientHelloBytes.pskData(new byte[][] {new byte[0]}, 1, 32)));
        byte[] trailing = Arrays.copyOf(ClientHelloBytes.pskData(one, 1, 32), ClientHelloBytes.pskData(one, 1, 32).length + 1);
        malformed(ClientHelloBytes.tls13().extension(41, trailing));
        malformed(ClientHelloBytes.tls13().extension(41, new byte[0]));
    }

    @Test
    void duplicateExtensionIsMalformed() {
        MalformedClientHelloException e = malformed(new ClientHelloBytes().sni("a.test").alpn("h2").sni("a.test"));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
        malformed(new ClientHelloBytes().extension(0xff01, new byte[] {0}).extension(0xff01, new byte[] {0}));
    }

    @Test
    void manyExtensionsAreCheckedForDuplicatesToo() {
        ClientHelloBytes many = new ClientHelloBytes();
        for (int type = 1000; type < 1000 + 16_000; type++) { // 64,000 bytes of empty extensions
            many.extension(type, new byte[0]);
        }
        assertTrue(parse(many.body()).pskIdentities().isEmpty());
        many.extension(1000, new byte[0]);
        assertTrue(malformed(many).getMessage().contains("twice"));
    }

    @Test
    void framingErrors() {
        ClientHelloBytes oddSuites = new ClientHelloBytes();
        oddSuites.cipherSuites = new byte[] {0x13, 0x01, 0x00};
        malformed(oddSuites);
        ClientHelloBytes noSuites = new ClientHelloBytes();
        noSuites.cipherSuites = new byte[0];
        malformed(noSuites);
        ClientHelloBytes noCompression = new ClientHelloBytes();
        noCompression.compression = new byte[0];
        malformed(noCompression);

        byte[] body = new ClientHelloBytes().sni("a.test").body();
        byte[] trailing = Arrays.copyOf(body, body.length + 1);
        assertTrue(malformed(trailing).getMessage().contains("after the extensions"));
        byte[] oneByteOfExtensionsLength = Arrays.copyOf(new ClientHelloBytes().body(), new ClientHelloBytes().body().length - 1);
        malformed(oneByteOfExtensionsLength);
        malformed(new byte[0]);
    }

    @Test
    void everyLengthFieldSetTooLarge() {
        // Each length field of a full hello, in turn, claims 0xff.. : always malformed, never an index error.
        byte[] body = ClientHelloBytes.tls13().sessionId(filled(32, 5)).sni("a.test").alpn("h2")
                .psk(filled(32, 1)).body();
        for (int i = 0; i < body.length; i++) {
            byte[] m = body.clone();
            m[i] = (byte) 0xff;
            parseOrMalformed(m);
        }
    }

    // ---- real ClientHellos ----

    static byte[] jdkClientHello(String protocol, String sni, String... alpn) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        SSLEngine engine = ctx.createSSLEngine(sni, 443);
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(new String[] {protocol});
        params.setServerNames(List.of(new SNIHostName(sni)));
        params.setApplicationProtocols(alpn);
        engine.setSSLParameters(params);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] flight = new byte[out.remaining()];
        out.get(flight);
        byte[] body = ClientHelloBytes.bodyOfRecords(flight);
        assertNotNull(body, "JDK first flight holds a ClientHello");
        return body;
    }

    @Test
    void jdkTls13ClientHello() throws Exception {
        ClientHelloInfo info = parse(jdkClientHello("TLSv1.3", "Server.Example.org", "h2", "http/1.1"));
        assertTrue(info.offersTls13());
        assertFalse(info.offersTls12());
        assertTrue(info.offersPskModes());
        assertEquals(Optional.of("server.example.org"), info.serverName());
        assertEquals(List.of("h2", "http/1.1"), info.applicationProtocols());
        assertTrue(info.legacySessionId().isPresent(), "JDK sends a 32-byte compatibility session id");
        assertTrue(info.pskIdentities().isEmpty());
    }

    @Test
    void jdkTls12ClientHello() throws Exception {
        ClientHelloInfo info = parse(jdkClientHello("TLSv1.2", "a.test"));
        assertFalse(info.offersTls13());
        assertTrue(info.offersTls12());
        assertEquals(Optional.of("a.test"), info.serverName());
        assertEquals(Optional.empty(), info.legacySessionId());
    }

    private static final Pattern TICKET_LINE = Pattern.compile("^\\s+[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){15}[0-9a-f]{2})",
            Pattern.MULTILINE);

    /**
     * A real OpenSSL client resuming against real OpenSSL servers with stateful sessions
     * ({@code -no_ticket}): the 32-byte ticket of a TLS 1.3 session file is found as the first PSK
     * identity, the session id of a TLS 1.2 session file as the legacy session id.
     */
    @Test
    @Timeout(60)
    void openSslClientResumingHellos(@TempDir Path dir) throws Exception {
        Path[] cert = OpenSslCli.selfSigned(dir, "a.test");
        int port = OpenSslCli.freePort();
        Process server = OpenSslCli.sServer(port, cert[0], cert[1], List.of("-no_ticket"));
        try {
            Path s13 = dir.resolve("s13.pem");
            Path s12 = dir.resolve("s12.pem");
            OpenSslCli.Client c13 = OpenSslCli.sClient(port, List.of("-tls1_3", "-servername", "a.test",
                    "-sess_out", s13.toString()), 10_000);
            assertTrue(c13.echoed() && OpenSslCli.isFile(s13), c13.output());
            OpenSslCli.Client c12 = OpenSslCli.sClient(port, List.of("-tls1_2", "-servername", "a.test",
                    "-sess_out", s12.toString()), 10_000);
            assertTrue(c12.echoed() && OpenSslCli.isFile(s12), c12.output());

            // TLS 1.3: the ticket (PSK identity) from the session file
            String text13 = OpenSslCli.run(List.of("openssl", "sess_id", "-in", s13.toString(), "-noout", "-text"), 10);
            StringBuilder hex = new StringBuilder();
            Matcher m = TICKET_LINE.matcher(text13.substring(text13.indexOf("TLS session ticket:")));
            while (m.find()) {
                hex.append(m.group(1).replaceAll("[ -]", ""));
            }
            assertEquals(64, hex.length(), "a stateful OpenSSL ticket is 32 bytes: " + text13);
            SessionId ticket = SessionId.fromHex(hex.toString());

            byte[] flight13 = OpenSslCli.captureFirstFlight(List.of("-tls1_3", "-servername", "A.Test",
                    "-sess_in", s13.toString(), "-alpn", "h2"));
            ClientHelloInfo i13 = parse(ClientHelloBytes.bodyOfRecords(flight13));
            assertEquals(List.of(ticket), i13.pskIdentities());
            assertTrue(i13.offersTls13());
            assertTrue(i13.offersPskModes());
            assertEquals(Optional.of("a.test"), i13.serverName());
            assertEquals(List.of("h2"), i13.applicationProtocols());

            // TLS 1.2: the session id from the session file
            String text12 = OpenSslCli.run(List.of("openssl", "sess_id", "-in", s12.toString(), "-noout", "-text"), 10);
            Matcher sid = Pattern.compile("Session-ID: ([0-9A-F]{64})").matcher(text12);
            assertTrue(sid.find(), text12);
            byte[] flight12 = OpenSslCli.captureFirstFlight(List.of("-tls1_2", "-servername", "a.test",
                    "-sess_in", s12.toString()));
            ClientHelloInfo i12 = parse(ClientHelloBytes.bodyOfRecords(flight12));
            assertEquals(Optional.of(SessionId.fromHex(sid.group(1))), i12.legacySessionId());
            assertTrue(i12.offersTls12());
            assertFalse(i12.offersTls13());
            assertTrue(i12.pskIdentities().isEmpty());

            // and the robustness checks below on these real messages too
            truncationsAndMutations(ClientHelloBytes.bodyOfRecords(flight13), 500);
            truncationsAndMutations(ClientHelloBytes.bodyOfRecords(flight12), 500);
        } finally {
            server.destroyForcibly();
            server.waitFor();
        }
    }

    // ---- robustness ----

    /** Parse must either succeed or throw MalformedClientHelloException; anything else fails the test. */
    static Optional<ClientHelloInfo> parseOrMalformed(byte[] body) {
        try {
            return Optional.of(parse(body));
        } catch (MalformedClientHelloException e) {
            assertTrue(e.getMessage().startsWith("malformed ClientHello: "), e.getMessage());
            return Optional.empty();
        } catch (Throwable t) {
            fail("unexpected " + t + " for " + HexFormat.of().formatHex(body), t);
            return Optional.empty();
        }
    }

    static void truncationsAndMutations(byte[] body, int mutations) {
        assertTrue(parseOrMalformed(body).isPresent());
        for (int len = 0; len < body.length; len++) {
            Optional<ClientHelloInfo> r = parseOrMalformed(Arrays.copyOf(body, len));
            if (r.isPresent()) {
                // only a cut right before the extensions field leaves a valid (extension-less) hello
                assertTrue(r.get().pskIdentities().isEmpty() && r.get().serverName().isEmpty());
            }
        }
        Random random = new Random(body.length);
        for (int i = 0; i < mutations; i++) {
            parseOrMalformed(mutate(body, random));
        }
    }

    static byte[] mutate(byte[] body, Random random) {
        byte[] m = body.clone();
        int kind = random.nextInt(4);
        switch (kind) {
            case 0 -> { // flip 1..4 bytes
                for (int k = 1 + random.nextInt(4); k > 0; k--) {
                    m[random.nextInt(m.length)] = (byte) random.nextInt(256);
                }
            }
            case 1 -> { // drop a slice
                int from = random.nextInt(m.length);
                int to = Math.min(m.length, from + 1 + random.nextInt(8));
                byte[] d = new byte[m.length - (to - from)];
                System.arraycopy(m, 0, d, 0, from);
                System.arraycopy(m, to, d, from, m.length - to);
                m = d;
            }
            case 2 -> { // insert random bytes
                int at = random.nextInt(m.length + 1);
                byte[] ins = new byte[1 + random.nextInt(8)];
                random.nextBytes(ins);
                byte[] d = new byte[m.length + ins.length];
                System.arraycopy(m, 0, d, 0, at);
                System.arraycopy(ins, 0, d, at, ins.length);
                System.arraycopy(m, at, d, at + ins.length, m.length - at);
                m = d;
            }
            default -> { // a length-looking pair of bytes set to extremes
                int at = random.nextInt(m.length - 1);
                int v = random.nextBoolean() ? 0xffff : random.nextInt(0x200);
                m[at] = (byte) (v >>> 8);
                m[at + 1] = (byte) v;
            }
        }
        return m;
    }

    @Test
    @Timeout(60)
    void truncatedAndMutatedRealHellos() throws Exception {
        List<byte[]> bodies = new ArrayList<>();
        bodies.add(jdkClientHello("TLSv1.3", "a.test", "h2", "http/1.1"));
        bodies.add(jdkClientHello("TLSv1.2", "b.test"));
        bodies.add(ClientHelloBytes.tls13().sessionId(filled(32, 4)).sni("a.test").alpn("h2")
                .psk(filled(32, 1), filled(32, 2)).body());
        for (byte[] body : bodies) {
            truncationsAndMutations(body, 2000);
        }
    }

    @Test
    void garbage() {
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] g = new byte[random.nextInt(300)];
            random.nextBytes(g);
            parseOrMalformed(g);
        }
        parseOrMalformed("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void readsOnlyTheReadableWindow() {
        byte[] body = ClientHelloBytes.tls13().sni("a.test").psk(filled(32, 1)).body();
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes(new byte[] {9, 9, 9});
        buf.writeBytes(body);
        buf.writeBytes(new byte[] {9, 9, 9});
        ByteBuf window = buf.slice(3, body.length);
        ClientHelloInfo info = ClientHelloParser.parse(window);
        assertEquals(Optional.of("a.test"), info.serverName());
        ByteBuf shifted = Unpooled.wrappedBuffer(buf.array().clone()).setIndex(3, 3 + body.length);
        assertEquals(info, ClientHelloParser.parse(shifted));
        assertArrayEquals(filled(32, 1), info.pskIdentities().getFirst().toBytes());
    }
}
