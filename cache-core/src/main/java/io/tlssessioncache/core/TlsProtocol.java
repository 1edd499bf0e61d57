package io.tlssessioncache.core;

/** The protocol a session was negotiated with. The code is what the codec writes. */
public enum TlsProtocol {
    TLS_1_2("TLSv1.2", 0x0303),
    TLS_1_3("TLSv1.3", 0x0304);

    private final String javaName;
    private final int code;

    TlsProtocol(String javaName, int code) {
        this.javaName = javaName;
        this.code = code;
    }

    /** The JSSE name, e.g. {@code TLSv1.3}. */
    public String javaName() {
        return javaName;
    }

    /** The wire version, e.g. {@code 0x0304}. */
    public int code() {
        return code;
    }

    /** The protocol for a wire version; {@link IllegalArgumentException} for any other. */
    public static TlsProtocol ofCode(int code) {
        for (TlsProtocol p : values()) {
            if (p.code == code) {
                return p;
            }
        }
        throw new IllegalArgumentException("unsupported protocol version 0x" + Integer.toHexString(code));
    }

    /** The protocol for a JSSE name such as {@code TLSv1.2}; {@link IllegalArgumentException} for any other. */
    public static TlsProtocol ofJavaName(String name) {
        for (TlsProtocol p : values()) {
            if (p.javaName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unsupported protocol " + name);
    }
}
