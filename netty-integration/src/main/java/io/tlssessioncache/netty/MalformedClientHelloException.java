package io.tlssessioncache.netty;

import io.netty.handler.codec.DecoderException;

/**
 * A ClientHello that breaks the TLS wire format (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2).
 *
 * <p>The message names the rule that was broken, never the bytes that broke it. The stack trace is
 * not filled in: a flood of garbage connections must cost as little as possible, and the throw site
 * is always {@link ClientHelloParser}.
 */
final class MalformedClientHelloException extends DecoderException {
    private static final long serialVersionUID = 1L;

    public MalformedClientHelloException(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
