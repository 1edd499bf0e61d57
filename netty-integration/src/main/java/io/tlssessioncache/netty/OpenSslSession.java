package io.tlssessioncache.netty;

import io.tlssessioncache.netty.internal.NativeSsl;

import java.io.ByteArrayInputStream;
import java.security.Principal;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionBindingEvent;
import javax.net.ssl.SSLSessionBindingListener;
import javax.net.ssl.SSLSessionContext;

/**
 * The {@link SSLSession} of one {@link OpenSslServerEngine}: a Java copy of what OpenSSL
 * negotiated, taken when the handshake finished (so it stays readable after the native objects
 * are freed). Before that it reports the JSSE "null session" values.
 */
final class OpenSslSession extends ExtendedSSLSession {
    /** JSSE's value: 16 KiB plaintext + the largest record overhead. */
    static final int PACKET_BUFFER_SIZE = 16709;
    static final int APPLICATION_BUFFER_SIZE = NativeSsl.MAX_PLAINTEXT;

    private final ResumingSslContext context;
    private final OpenSslServerEngine engine;
    private volatile ServerCertificate certificate;
    private final String peerHost;
    private final int peerPort;
    private final long createdMillis = System.currentTimeMillis();
    private final Map<String, Object> values = new ConcurrentHashMap<>();

    private volatile NativeSsl.HandshakeInfo info;
    private volatile Certificate[] peerCertificates;
    private volatile boolean invalidated;

    OpenSslSession(ResumingSslContext context, OpenSslServerEngine engine, ServerCertificate certificate,
                   String peerHost, int peerPort) {
        this.context = context;
        this.engine = engine;
        this.certificate = certificate;
        this.peerHost = peerHost;
        this.peerPort = peerPort;
    }

    void handshakeFinished(NativeSsl.HandshakeInfo info) {
        List<Certificate> certs = new ArrayList<>();
        if (!info.peerCertificates().isEmpty()) {
            try {
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                for (byte[] der : info.peerCertificates()) {
                    certs.add(cf.generateCertificate(new ByteArrayInputStream(der)));
                }
            } catch (CertificateException e) {
                certs.clear(); // OpenSSL verified it; if Java cannot parse it, report none rather than fail
            }
        }
        this.peerCertificates = certs.toArray(new Certificate[0]);
        this.info = info;
    }

    /** The certificate the ClientHello chose (by SNI). */
    void useCertificate(ServerCertificate certificate) {
        this.certificate = certificate;
    }

    /** The engine this session belongs to (also when the engine is wrapped, e.g. for ALPN). */
    OpenSslServerEngine engine() {
        return engine;
    }

    NativeSsl.HandshakeInfo info() {
        return info;
    }

    @Override
    public byte[] getId() {
        NativeSsl.HandshakeInfo i = info;
        return i == null ? new byte[0] : i.sessionId().clone();
    }

    @Override
    public SSLSessionContext getSessionContext() {
        return context.sessionContext();
    }

    @Override
    public long getCreationTime() {
        NativeSsl.HandshakeInfo i = info;
        return i == null || i.creationTimeSeconds() == 0 ? createdMillis : i.creationTimeSeconds() * 1000;
    }

    @Override
    public long getLastAccessedTime() {
        return getCreationTime();
    }

    @Override
    public void invalidate() {
        invalidated = true;
    }

    @Override
    public boolean isValid() {
        return info != null && !invalidated;
    }

    @Override
    public void putValue(String name, Object value) {
        Object old = values.put(name, value);
        if (value instanceof SSLSessionBindingListener l) {
            l.valueBound(new SSLSessionBindingEvent(this, name));
        }
        if (old instanceof SSLSessionBindingListener l && old != value) {
            l.valueUnbound(new SSLSessionBindingEvent(this, name));
        }
    }

    @Override
    public Object getValue(String name) {
        return values.get(name);
    }

    @Override
    public void removeValue(String name) {
        Object old = values.remove(name);
        if (old instanceof SSLSessionBindingListener l) {
            l.valueUnbound(new SSLSessionBindingEvent(this, name));
        }
    }

    @Override
    public String[] getValueNames() {
        return values.keySet().toArray(new String[0]);
    }

    @Override
    public Certificate[] getPeerCertificates() throws SSLPeerUnverifiedException {
        Certificate[] c = peerCertificates;
        if (c == null || c.length == 0) {
            throw new SSLPeerUnverifiedException("the client sent no certificate");
        }
        return c.clone();
    }

    @Override
    public Certificate[] getLocalCertificates() {
        return certificate.chain().toArray(new Certificate[0]);
    }

    @Override
    public Principal getPeerPrincipal() throws SSLPeerUnverifiedException {
        return ((X509Certificate) getPeerCertificates()[0]).getSubjectX500Principal();
    }

    @Override
    public Principal getLocalPrincipal() {
        return certificate.chain().getFirst().getSubjectX500Principal();
    }

    @Override
    public String getCipherSuite() {
        NativeSsl.HandshakeInfo i = info;
        return i == null || i.cipherSuite() == null ? "SSL_NULL_WITH_NULL_NULL" : i.cipherSuite();
    }

    @Override
    public String getProtocol() {
        NativeSsl.HandshakeInfo i = info;
        return i == null ? "NONE" : i.protocol();
    }

    @Override
    public String getPeerHost() {
        return peerHost;
    }

    @Override
    public int getPeerPort() {
        return peerPort;
    }

    @Override
    public int getPacketBufferSize() {
        return PACKET_BUFFER_SIZE;
    }

    @Override
    public int getApplicationBufferSize() {
        return APPLICATION_BUFFER_SIZE;
    }

    @Override
    public String[] getLocalSupportedSignatureAlgorithms() {
        return new String[0];
    }

    @Override
    public String[] getPeerSupportedSignatureAlgorithms() {
        return new String[0];
    }

    @Override
    public List<SNIServerName> getRequestedServerNames() {
        NativeSsl.HandshakeInfo i = info;
        if (i == null || i.serverName() == null) {
            return List.of();
        }
        try {
            return List.of(new SNIHostName(i.serverName()));
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    @Override
    public String toString() {
        return "OpenSslSession[" + getProtocol() + ", " + getCipherSuite() + "]";
    }

    static boolean isNull(SSLSession s) {
        return "NONE".equals(s.getProtocol());
    }
}
