package io.tlssessioncache.netty;

import java.util.Set;

import javax.net.ssl.SSLEngine;

/**
 * The configuration half of our {@link SSLEngine}: protocols, cipher suites and client
 * authentication are fixed by the {@link ResumingSslContext} (one OpenSSL {@code SSL_CTX} per
 * certificate), so the getters report the context's and the setters accept only what it already
 * is. Frameworks call the setters with the context's own values; anything else is a clear error.
 */
abstract class ContextConfiguredEngine extends SSLEngine {
    private final ResumingSslContext context;

    ContextConfiguredEngine(ResumingSslContext context, String peerHost, int peerPort) {
        super(peerHost, peerPort);
        this.context = context;
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return context.cipherSuites().toArray(new String[0]);
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return getSupportedCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
        if (!Set.of(suites).equals(Set.copyOf(context.cipherSuites()))) {
            throw new UnsupportedOperationException("configure cipher suites on ResumingSslContextBuilder");
        }
    }

    @Override
    public String[] getSupportedProtocols() {
        return context.protocols().toArray(new String[0]);
    }

    @Override
    public String[] getEnabledProtocols() {
        return getSupportedProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
        if (!Set.of(protocols).equals(Set.copyOf(context.protocols()))) {
            throw new UnsupportedOperationException("configure protocols on ResumingSslContextBuilder");
        }
    }

    @Override
    public void setUseClientMode(boolean mode) {
        if (mode) {
            throw new IllegalArgumentException("this engine is server-only");
        }
    }

    @Override
    public boolean getUseClientMode() {
        return false;
    }

    @Override
    public void setNeedClientAuth(boolean need) {
        if (need != getNeedClientAuth()) {
            throw new UnsupportedOperationException("configure client auth on ResumingSslContextBuilder");
        }
    }

    @Override
    public boolean getNeedClientAuth() {
        return context.clientAuth() == io.netty.handler.ssl.ClientAuth.REQUIRE;
    }

    @Override
    public void setWantClientAuth(boolean want) {
        if (want != getWantClientAuth()) {
            throw new UnsupportedOperationException("configure client auth on ResumingSslContextBuilder");
        }
    }

    @Override
    public boolean getWantClientAuth() {
        return context.clientAuth() == io.netty.handler.ssl.ClientAuth.OPTIONAL;
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
        if (!flag) {
            throw new UnsupportedOperationException("session creation is always on");
        }
    }

    @Override
    public boolean getEnableSessionCreation() {
        return true;
    }
}
