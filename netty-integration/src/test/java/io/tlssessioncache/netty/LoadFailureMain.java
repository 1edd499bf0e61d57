package io.tlssessioncache.netty;

import io.tlssessioncache.netty.internal.OpenSsl;

/** Run in a child JVM by {@link ConfigurationTest}: prints what happens when OpenSSL cannot be loaded. */
public final class LoadFailureMain {
    private LoadFailureMain() {
    }

    public static void main(String[] args) {
        System.out.println("available=" + OpenSsl.isAvailable());
        try {
            OpenSsl.ensureAvailable();
        } catch (Throwable t) {
            System.out.println("error=" + t.getMessage());
        }
    }
}
