package io.tlssessioncache.netty;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.netty.internal.ContextConfig;
import io.tlssessioncache.netty.internal.NativeSslContext;
import io.tlssessioncache.netty.internal.OpenSsl;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;

import javax.net.ssl.SSLException;

/**
 * Builds a {@link ResumingSslContext}: a server {@link io.netty.handler.ssl.SslContext} whose
 * engine is OpenSSL 3 and whose resumable sessions live in a {@link SessionStore}.
 *
 * <pre>{@code
 * ResumingSslContext ctx = ResumingSslContextBuilder.forServer(certPem, keyPem)
 *         .sessionStore(store)
 *         .contextName("api")
 *         .sniCertificate("*.static.example.com", staticCertPem, staticKeyPem)  // optional, repeatable
 *         .build();
 * }</pre>
 */
public final class ResumingSslContextBuilder {
    static final String TLS12 = "TLSv1.2";
    static final String TLS13 = "TLSv1.3";

    private final String certChainPem;
    private final String keyPem;
    private SessionStore store;
    private Duration sessionTimeout = Duration.ofHours(2);
    private int ticketsPerHandshake = 1;
    private Set<String> protocols = new LinkedHashSet<>(List.of(TLS12, TLS13));
    private List<String> ciphers;
    private String[] groups;
    private ApplicationProtocolConfig alpn = ApplicationProtocolConfig.DISABLED;
    private ClientAuth clientAuth = ClientAuth.NONE;
    private Path trustPem;
    private String contextName = "";
    private Duration lookupDeadline = Duration.ofMillis(50);
    private Duration handshakeTimeout = Duration.ofSeconds(30);
    private Executor delegatedTaskExecutor; // null: run tasks when the store answers
    private final Map<String, String[]> sniCertificates = new LinkedHashMap<>();
    private Clock clock = Clock.systemUTC();
    private SessionCacheMetrics metrics = SessionCacheMetrics.noop();

    private ResumingSslContextBuilder(String certChainPem, String keyPem) {
        this.certChainPem = Objects.requireNonNull(certChainPem, "certChainPem");
        this.keyPem = Objects.requireNonNull(keyPem, "keyPem");
    }

    /** A server with the certificate chain (leaf first) and unencrypted private key in these PEM files. */
    public static ResumingSslContextBuilder forServer(Path certChainPem, Path keyPem) {
        try {
            return new ResumingSslContextBuilder(Files.readString(certChainPem, StandardCharsets.US_ASCII),
                    Files.readString(keyPem, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the certificate or key file", e);
        }
    }

    /** A server with the certificate chain (leaf first) and unencrypted private key given as PEM text. */
    public static ResumingSslContextBuilder forServer(String certChainPem, String keyPem) {
        return new ResumingSslContextBuilder(certChainPem, keyPem);
    }

    /**
     * Serves another certificate to clients whose SNI name matches {@code hostName}: an exact name or
     * a wildcard such as {@code *.example.com} (one label). Clients that send no name, or one that
     * matches nothing, get the {@link #forServer default} certificate. Every certificate has its own
     * session namespace: a session made under one never resumes under another. Everything else
     * (protocols, ciphers, ALPN, client auth, store) is shared.
     */
    public ResumingSslContextBuilder sniCertificate(String hostName, Path certChainPem, Path keyPem) {
        try {
            return sniCertificate(hostName, Files.readString(certChainPem, StandardCharsets.US_ASCII),
                    Files.readString(keyPem, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the certificate or key file for " + hostName, e);
        }
    }

    /** As {@link #sniCertificate(String, Path, Path)}, with PEM text. */
    public ResumingSslContextBuilder sniCertificate(String hostName, String certChainPem, String keyPem) {
        Objects.requireNonNull(hostName, "hostName");
        if (hostName.isBlank()) {
            throw new IllegalArgumentException("an SNI certificate needs a host name");
        }
        sniCertificates.put(hostName, new String[] {Objects.requireNonNull(certChainPem, "certChainPem"),
                Objects.requireNonNull(keyPem, "keyPem")});
        return this;
    }

    /** Where sessions are stored and found (required). */
    public ResumingSslContextBuilder sessionStore(SessionStore store) {
        this.store = Objects.requireNonNull(store, "store");
        return this;
    }

    /** How long a session stays resumable (default 2 hours); a record expires at creation + timeout. */
    public ResumingSslContextBuilder sessionTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero() || timeout.toSeconds() < 1) {
            throw new IllegalArgumentException("session timeout must be at least one second");
        }
        this.sessionTimeout = timeout;
        return this;
    }

    /**
     * TLS 1.3 tickets sent after a full handshake (default 1; a resumption always gets one new one).
     * Each ticket is a store write and a stored entry, and single use; browsers, curl and the JDK
     * keep only the newest ticket per server, so a second one is usually written and never used.
     * Raise it for clients that open several connections at once from one full handshake.
     */
    public ResumingSslContextBuilder ticketsPerHandshake(int n) {
        if (n < 0 || n > 16) {
            throw new IllegalArgumentException("tickets per handshake must be 0 to 16");
        }
        this.ticketsPerHandshake = n;
        return this;
    }

    /** Enabled protocols: "TLSv1.2" and/or "TLSv1.3" (default both). */
    public ResumingSslContextBuilder protocols(String... protocols) {
        Set<String> set = new LinkedHashSet<>(Arrays.asList(protocols));
        if (set.isEmpty()) {
            throw new IllegalArgumentException("at least one protocol");
        }
        for (String p : set) {
            if (!TLS12.equals(p) && !TLS13.equals(p)) {
                throw new IllegalArgumentException("unsupported protocol " + p + " (TLSv1.2 and TLSv1.3 only)");
            }
        }
        this.protocols = set;
        return this;
    }

    /** Enabled cipher suites, IANA or OpenSSL names, in preference order (default: OpenSSL's). */
    public ResumingSslContextBuilder ciphers(Iterable<String> ciphers) {
        List<String> list = new ArrayList<>();
        ciphers.forEach(c -> list.add(Objects.requireNonNull(c, "cipher")));
        this.ciphers = list.isEmpty() ? null : list;
        return this;
    }

    /** Key exchange groups, e.g. "X25519", "P-256" (default: OpenSSL's). */
    public ResumingSslContextBuilder groups(String... groups) {
        this.groups = groups.length == 0 ? null : groups.clone();
        return this;
    }

    /** ALPN: the server's protocols in preference order and what to do when none matches. */
    public ResumingSslContextBuilder applicationProtocolConfig(ApplicationProtocolConfig config) {
        this.alpn = Objects.requireNonNull(config, "config");
        return this;
    }

    /** Whether to ask for / require a client certificate (default NONE). */
    public ResumingSslContextBuilder clientAuth(ClientAuth clientAuth) {
        this.clientAuth = Objects.requireNonNull(clientAuth, "clientAuth");
        return this;
    }

    /** A PEM file of roots that client certificates must chain to. */
    public ResumingSslContextBuilder trustCertificates(Path caPem) {
        this.trustPem = Objects.requireNonNull(caPem, "caPem");
        return this;
    }

    /** A name mixed into the session id context: contexts with different names never share sessions. */
    public ResumingSslContextBuilder contextName(String name) {
        this.contextName = Objects.requireNonNull(name, "name");
        return this;
    }

    /** How long the ClientHello hook may wait for the store before a full handshake (default 50 ms). */
    public ResumingSslContextBuilder lookupDeadline(Duration deadline) {
        if (deadline.isNegative()) {
            throw new IllegalArgumentException("lookup deadline must not be negative");
        }
        this.lookupDeadline = deadline;
        return this;
    }

    /**
     * How long a handshake may take from the engine's creation before the engine gives up and frees
     * its native state (default 30 s; zero: never). A backstop: Netty's {@code SslHandler} has its own
     * handshake timeout (10 s by default) that normally closes the connection first; this one also
     * frees engines nobody drives any more (a handler removed mid-handshake, an engine never used).
     */
    public ResumingSslContextBuilder handshakeTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("handshake timeout must not be negative");
        }
        this.handshakeTimeout = timeout;
        return this;
    }

    /**
     * Where the engine's delegated tasks (waiting for the store) run when the caller of
     * {@code newHandler} gives no executor or Netty's {@code ImmediateExecutor}. By default none is
     * needed: a task is run only once the store has answered or its deadline passed, on the thread
     * that completed it, so it never waits. An executor given here runs tasks that may wait (up to the
     * deadline). Never an event loop: a task there cannot wait, and gives up on lookups in flight.
     */
    public ResumingSslContextBuilder delegatedTaskExecutor(Executor executor) {
        this.delegatedTaskExecutor = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /**
     * Where the engine reports what only it can see: an offered record whose state does not decode
     * ({@code rejected("malformed")}) or that expired before the handshake ({@code rejected("expired")}).
     * Stores count their own puts, hits and errors. Default: {@link SessionCacheMetrics#noop()}.
     */
    public ResumingSslContextBuilder metrics(SessionCacheMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        return this;
    }

    /** The wall clock deciding whether an offered record is still live (default UTC system clock). */
    public ResumingSslContextBuilder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /** Makes the OpenSSL context; {@link SSLException} carries OpenSSL's reason when it refuses the configuration. */
    public ResumingSslContext build() throws SSLException {
        if (store == null) {
            throw new IllegalStateException("sessionStore(...) is required");
        }
        OpenSsl.ensureAvailable();
        List<X509Certificate> chain = parseCertificates(certChainPem, "certificate chain");
        if (chain.isEmpty()) {
            throw new SSLException("no certificate in the certificate chain PEM");
        }
        List<X509Certificate> roots = List.of();
        if (trustPem != null) {
            try {
                roots = parseCertificates(Files.readString(trustPem, StandardCharsets.US_ASCII), "trust roots");
            } catch (IOException e) {
                throw new SSLException("cannot read trust roots " + trustPem, e);
            }
            if (roots.isEmpty()) {
                throw new SSLException("no certificate in " + trustPem);
            }
        } else if (clientAuth != ClientAuth.NONE) {
            throw new IllegalStateException("clientAuth " + clientAuth + " needs trustCertificates(...)");
        }

        int min = protocols.contains(TLS12) ? 0x0303 : 0x0304;
        int max = protocols.contains(TLS13) ? 0x0304 : 0x0303;

        String cipherList = null;
        String cipherSuites = null;
        if (ciphers != null) {
            Map<String, String> names = NativeSslContext.cipherNameMap();
            List<String> tls12 = new ArrayList<>();
            List<String> tls13 = new ArrayList<>();
            for (String c : ciphers) {
                if (isTls13Suite(c)) {
                    tls13.add(c);
                } else {
                    tls12.add(names.getOrDefault(c, c));
                }
            }
            if (protocols.contains(TLS12) && tls12.isEmpty()) {
                throw new IllegalArgumentException("TLSv1.2 is enabled but no TLS 1.2 cipher was given");
            }
            if (protocols.contains(TLS13) && tls13.isEmpty()) {
                throw new IllegalArgumentException("TLSv1.3 is enabled but no TLS 1.3 cipher suite was given");
            }
            cipherList = tls12.isEmpty() ? null : String.join(":", tls12);
            cipherSuites = tls13.isEmpty() ? null : String.join(":", tls13);
        }

        boolean alpnOn = alpn.protocol() == ApplicationProtocolConfig.Protocol.ALPN
                || alpn.protocol() == ApplicationProtocolConfig.Protocol.NPN_AND_ALPN;
        if (alpnOn && alpn.supportedProtocols().isEmpty()) {
            throw new IllegalArgumentException("ALPN enabled without protocols");
        }
        int verify = switch (clientAuth) {
            case NONE -> ContextConfig.VERIFY_NONE;
            case OPTIONAL -> ContextConfig.VERIFY_OPTIONAL;
            case REQUIRE -> ContextConfig.VERIFY_REQUIRE;
        };
        String groupList = groups == null ? null : String.join(":", groups);
        Path trust = trustPem == null ? null : trustPem.toAbsolutePath();
        // One SSL_CTX per certificate, alike but for certificate, key and session id context.
        List<ServerCertificate> all = new ArrayList<>();
        try {
            ServerCertificate defaultCertificate = certificate(certChainPem, keyPem, chain, roots, min, max, cipherList,
                    cipherSuites, groupList, verify, trust, alpnOn);
            all.add(defaultCertificate);
            Mapping<String, ServerCertificate> byName = null;
            if (!sniCertificates.isEmpty()) {
                DomainWildcardMappingBuilder<ServerCertificate> mapping = new DomainWildcardMappingBuilder<>(defaultCertificate);
                for (Map.Entry<String, String[]> e : sniCertificates.entrySet()) {
                    List<X509Certificate> sniChain = parseCertificates(e.getValue()[0], "certificate chain for " + e.getKey());
                    if (sniChain.isEmpty()) {
                        throw new SSLException("no certificate in the certificate chain PEM for " + e.getKey());
                    }
                    ServerCertificate c = certificate(e.getValue()[0], e.getValue()[1], sniChain, roots, min, max,
                            cipherList, cipherSuites, groupList, verify, trust, alpnOn);
                    all.add(c);
                    mapping.add(e.getKey(), c);
                }
                byName = mapping.build();
            }
            ResumingSslContext context = new ResumingSslContext(defaultCertificate, byName, all, store, metrics,
                    sessionTimeout, lookupDeadline, handshakeTimeout, delegatedTaskExecutor, clock,
                    alpnOn ? alpn : ApplicationProtocolConfig.DISABLED, clientAuth, List.copyOf(protocols));
            all = null;
            return context;
        } finally {
            if (all != null) {
                all.forEach(c -> c.nativeContext().close());
            }
        }
    }

    private ServerCertificate certificate(String chainPem, String key, List<X509Certificate> chain,
                                          List<X509Certificate> roots, int min, int max, String cipherList,
                                          String cipherSuites, String groupList, int verify, Path trust,
                                          boolean alpnOn) throws SSLException {
        byte[] sidCtx = sessionIdContext(chain.getFirst(), clientAuth, roots, contextName);
        ContextConfig config = new ContextConfig(chainPem, key, sessionTimeout.toSeconds(), ticketsPerHandshake,
                min, max, cipherList, cipherSuites, groupList, verify, trust, sidCtx, alpnOn);
        return new ServerCertificate(NativeSslContext.create(config), HexFormat.of().formatHex(sidCtx, 0, 16), chain);
    }

    private static boolean isTls13Suite(String name) {
        return name.startsWith("TLS_AES_") || name.startsWith("TLS_CHACHA20_");
    }

    /**
     * SHA-256 over everything that decides whether a session may resume here: the server
     * certificate, the client-auth policy and roots, and the user's name. Length-prefixed so that
     * no two different inputs hash the same bytes.
     */
    static byte[] sessionIdContext(X509Certificate leaf, ClientAuth clientAuth, List<X509Certificate> roots,
                                   String contextName) throws SSLException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            update(sha, "tls-session-cache/v1".getBytes(StandardCharsets.US_ASCII));
            update(sha, leaf.getEncoded());
            update(sha, clientAuth.name().getBytes(StandardCharsets.US_ASCII));
            for (X509Certificate root : roots) {
                update(sha, root.getEncoded());
            }
            update(sha, contextName.getBytes(StandardCharsets.UTF_8));
            return sha.digest(); // 32 bytes, OpenSSL's maximum
        } catch (NoSuchAlgorithmException | CertificateException e) {
            throw new SSLException("cannot derive the session id context", e);
        }
    }

    private static void update(MessageDigest sha, byte[] bytes) {
        sha.update(ByteBuffer.allocate(4).putInt(bytes.length).flip());
        sha.update(bytes);
    }

    static List<X509Certificate> parseCertificates(String pem, String what) throws SSLException {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (var c : cf.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (CertificateException e) {
            throw new SSLException("cannot parse the " + what + " PEM", e);
        }
    }
}
