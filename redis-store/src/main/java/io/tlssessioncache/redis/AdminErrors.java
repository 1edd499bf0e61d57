package io.tlssessioncache.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.util.concurrent.TimeoutException;

/** Lettuce's exceptions as {@link AdminException}s whose message says what to do. */
final class AdminErrors {
    private AdminErrors() {
    }

    /** {@code e}, raised while trying to {@code what}, as an {@link AdminException} of the right kind. */
    static AdminException translate(String what, Throwable e) {
        if (e instanceof AdminException a) {
            return a;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            // NOPERM for a command; a script's command refused by the caller's ACL is an "ERR ... can't run"
            // (Redis 7) or an "ERR ACL failure in script: User ... has no permissions to run ..." (Redis 8).
            if (t instanceof RedisCommandExecutionException && (m.startsWith("NOPERM")
                    || m.contains("can't run this command") || m.contains("has no permissions to run"))) {
                return new AdminException(AdminException.Kind.DENIED, "cannot " + what + ": Redis refused: " + m
                        + " (the admin commands need an ACL user with SCAN, HSET, EVAL, DEL, PUBLISH on the"
                        + " key prefix, e.g. tls-admin; the servers' user tls-server is not allowed to)", e);
            }
            if (t instanceof RedisCommandExecutionException
                    && (m.startsWith("WRONGPASS") || m.startsWith("NOAUTH") || m.contains("AUTH"))) {
                return new AdminException(AdminException.Kind.DENIED, "cannot " + what
                        + ": authentication failed (" + firstWord(m) + "): check the user and password in the URI", e);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisConnectionException || t instanceof RedisCommandTimeoutException
                    || t instanceof TimeoutException || t instanceof java.net.ConnectException
                    || t instanceof RedisException && String.valueOf(t.getMessage()).contains("Cannot retrieve")) {
                return new AdminException(AdminException.Kind.UNREACHABLE, "cannot " + what
                        + ": Redis is unreachable (" + RedisUris.describe(e) + ")", e);
            }
        }
        return new AdminException(AdminException.Kind.FAILED, "cannot " + what + ": " + RedisUris.describe(e), e);
    }

    private static String firstWord(String m) {
        int sp = m.indexOf(' ');
        return sp < 0 ? m : m.substring(0, sp);
    }
}
