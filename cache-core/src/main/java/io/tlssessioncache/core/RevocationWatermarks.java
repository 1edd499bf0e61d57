package io.tlssessioncache.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The revocation watermarks a process knows: at most one per (scope, value), keeping the latest
 * {@code createdBefore}. Stores consult {@link #isRevoked} on every hit; it does at most four hash
 * lookups and skips scopes that hold nothing.
 *
 * <p><b>Bounded.</b> At most {@code maximumSize} watermarks are held. When full, {@link #apply}
 * refuses a watermark for a new (scope, value) with {@link IllegalStateException}, rather than
 * dropping one (which would un-revoke sessions) or widening one (which would revoke innocent
 * ones); the operator can fall back to a broader scope (e.g. {@link Revocation.Scope#ALL}).
 * Raising an existing watermark always succeeds.
 *
 * <p><b>Ageing out.</b> A watermark older than the longest session lifetime can no longer match a
 * live session (every session created before it has expired), so
 * {@code expireBefore(now.minus(maxSessionLifetime))} drops it safely; call it periodically.
 *
 * <p>Thread-safe: reads are lock-free, writes (rare) are serialized.
 */
public final class RevocationWatermarks {
    /** The default {@code maximumSize}. */
    public static final int DEFAULT_MAXIMUM_SIZE = 100_000;

    private static final HexFormat HEX = HexFormat.of();

    private final int maximumSize;
    private final Map<Revocation.Scope, ConcurrentHashMap<String, Instant>> byScope =
            new EnumMap<>(Revocation.Scope.class);
    private int size; // guarded by this

    public RevocationWatermarks() {
        this(DEFAULT_MAXIMUM_SIZE);
    }

    public RevocationWatermarks(int maximumSize) {
        if (maximumSize < 1) {
            throw new IllegalArgumentException("maximumSize must be positive");
        }
        this.maximumSize = maximumSize;
        for (Revocation.Scope s : Revocation.Scope.values()) {
            byScope.put(s, new ConcurrentHashMap<>());
        }
    }

    /**
     * Adds {@code r}, or raises the existing watermark of its (scope, value) to {@code r}'s if later.
     *
     * @return whether anything changed (false for a duplicate or an older watermark)
     * @throws IllegalStateException if {@code r} is for a new (scope, value) and the set is full
     */
    public synchronized boolean apply(Revocation r) {
        ConcurrentHashMap<String, Instant> m = byScope.get(r.scope());
        Instant current = m.get(r.value());
        if (current == null) {
            if (size >= maximumSize) {
                throw new IllegalStateException("revocation watermarks full (" + maximumSize
                        + "); use a broader scope or expireBefore()");
            }
            m.put(r.value(), r.createdBefore());
            size++;
            return true;
        }
        if (r.createdBefore().isAfter(current)) {
            m.put(r.value(), r.createdBefore());
            return true;
        }
        return false;
    }

    /** Whether any watermark covers {@code r}. */
    public boolean isRevoked(SessionRecord r) {
        Instant created = r.createdAt();
        if (covers(Revocation.Scope.ALL, "", created)
                || covers(Revocation.Scope.NAMESPACE, r.namespace(), created)) {
            return true;
        }
        String sni = r.serverName();
        if (sni != null && !byScope.get(Revocation.Scope.SERVER_NAME).isEmpty()
                && covers(Revocation.Scope.SERVER_NAME, sni.toLowerCase(Locale.ROOT), created)) {
            return true;
        }
        if (!byScope.get(Revocation.Scope.CLIENT_IDENTITY).isEmpty()) {
            byte[] c = r.clientIdentity();
            return c != null && covers(Revocation.Scope.CLIENT_IDENTITY, HEX.formatHex(c), created);
        }
        return false;
    }

    private boolean covers(Revocation.Scope scope, String value, Instant created) {
        ConcurrentHashMap<String, Instant> m = byScope.get(scope);
        if (m.isEmpty()) {
            return false;
        }
        Instant before = m.get(value);
        return before != null && created.isBefore(before);
    }

    /** A snapshot of the watermarks held. */
    public List<Revocation> active() {
        List<Revocation> out = new ArrayList<>();
        for (Map.Entry<Revocation.Scope, ConcurrentHashMap<String, Instant>> e : byScope.entrySet()) {
            e.getValue().forEach((value, before) -> out.add(new Revocation(e.getKey(), value, before)));
        }
        return out;
    }

    /** The number of watermarks held. */
    public synchronized int size() {
        return size;
    }

    /** The most watermarks this set holds. */
    public int maximumSize() {
        return maximumSize;
    }

    /** Drops every watermark. */
    public synchronized void clear() {
        byScope.values().forEach(Map::clear);
        size = 0;
    }

    /**
     * Drops the watermarks whose {@code createdBefore} is before {@code cutoff}. Safe when
     * {@code cutoff <= now - longest session lifetime}: such a watermark matches no live session.
     *
     * @return how many were dropped
     */
    public synchronized int expireBefore(Instant cutoff) {
        int dropped = 0;
        for (ConcurrentHashMap<String, Instant> m : byScope.values()) {
            var it = m.entrySet().iterator();
            while (it.hasNext()) {
                if (it.next().getValue().isBefore(cutoff)) {
                    it.remove();
                    dropped++;
                }
            }
        }
        size -= dropped;
        return dropped;
    }

    @Override
    public String toString() {
        return "RevocationWatermarks[" + size() + " of " + maximumSize + "]";
    }
}
