package io.tlssessioncache.server.admin;

import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.redis.EvictResult;
import io.tlssessioncache.redis.SessionAdmin;
import io.tlssessioncache.redis.SweepOptions;
import io.tlssessioncache.redis.SweepResult;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code admin evict}: ends sessions. {@code --id} deletes one entry and tells every near-cache;
 * the selectors write a revocation watermark (every server stops resuming at once), then sweep
 * the matching entries out of Redis in the foreground with progress on stderr.
 */
@Command(name = "evict", sortOptions = false, usageHelpAutoWidth = true,
        description = {
                "Ends sessions so that no server resumes them. --id deletes the sessions with that id (any namespace, TLS 1.2"
                        + " or 1.3) and drops them from "
                        + "every server's near-cache. --server-name, --client-cert-sha256, --older-than and --all write a "
                        + "revocation watermark (honoured by every server on its next lookup, within milliseconds), then "
                        + "sweep the matching entries out of Redis (rate-limited SCAN of every master; progress on stderr).",
                "Selecting by server name, client certificate or age needs the sealing key ring to read entries; "
                        + "without it the watermark is still written but only --all can be swept.",
                ""})
final class EvictCommand extends AdminSubcommand {

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "What to evict (exactly one):%n")
    Selector selector;

    static final class Selector {
        @Option(names = "--id", paramLabel = "HEX", converter = Converters.Id.class,
                description = "One session: the TLS 1.3 ticket or TLS 1.2 session id, 64 hex digits.")
        SessionId id;

        @Option(names = "--server-name", paramLabel = "NAME",
                description = "Every session made for this SNI host name (case-insensitive).")
        String serverName;

        @Option(names = "--client-cert-sha256", paramLabel = "HEX", converter = Converters.Sha256.class,
                description = "Every session of this client certificate: SHA-256 of its DER form, 64 hex digits.")
        String clientCertSha256;

        @Option(names = "--older-than", paramLabel = "DURATION", converter = Converters.Age.class,
                description = "Every session created more than this long ago, e.g. 30m, 2h, 1d.")
        Duration olderThan;

        @Option(names = "--all", description = "Every session under the key prefix (needs --yes).")
        boolean all;
    }

    @Option(names = "--yes", description = "Confirms --all.")
    boolean yes;

    @Option(names = "--dry-run", description = "Count what would be evicted; change nothing.")
    boolean dryRun;

    @Option(names = "--no-sweep", description = "Only write the watermark (sessions are unreachable at once; "
            + "their entries stay in Redis until they expire).")
    boolean noSweep;

    @Option(names = "--max-keys-per-second", paramLabel = "N", defaultValue = "" + SweepOptions.DEFAULT_MAX_KEYS_PER_SECOND,
            description = "Sweep rate limit over all masters (0: unlimited). Default: ${DEFAULT-VALUE}.")
    int maxKeysPerSecond;

    @Option(names = "--scan-count", paramLabel = "N", defaultValue = "" + SweepOptions.DEFAULT_SCAN_COUNT,
            description = "SCAN COUNT hint per call. Default: ${DEFAULT-VALUE}.")
    int scanCount;

    @Option(names = "--json", description = "Machine-readable output on stdout (one JSON object).")
    boolean json;

    @Override
    void checkUsage(CommandLine cl) {
        if (selector.all && !yes && !dryRun) {
            throw new ParameterException(cl, "--all evicts every session under key prefix '" + parent.keyPrefix
                    + "' on every server: add --yes to confirm (or --dry-run to count them)");
        }
        if (yes && !selector.all) {
            throw new ParameterException(cl, "--yes only confirms --all");
        }
        if (selector.id != null && noSweep) {
            throw new ParameterException(cl, "--no-sweep goes with a selector, not --id (which deletes one entry)");
        }
        if (maxKeysPerSecond < 0) {
            throw new ParameterException(cl, "--max-keys-per-second must be 0 (unlimited) or more");
        }
        if (scanCount < 1 || scanCount > 100_000) {
            throw new ParameterException(cl, "--scan-count must be 1 to 100000");
        }
        if (selector.serverName != null && (selector.serverName.isBlank() || selector.serverName.length() > 1024)) {
            throw new ParameterException(cl, "--server-name must be 1 to 1024 characters");
        }
    }

    @Override
    int execute(CommandLine cl, SessionAdmin admin) {
        return selector.id != null ? evictId(cl, admin) : evictBySelector(cl, admin);
    }

    private int evictId(CommandLine cl, SessionAdmin admin) {
        EvictResult r = admin.evictId(selector.id, dryRun);
        PrintWriter out = cl.getOut();
        if (json) {
            Map<String, Object> m = base(r);
            m.put("keys", r.keys().stream().map(EvictCommand::key).toList());
            out.println(Json.write(m));
        } else if (r.keys().isEmpty()) {
            out.println("no session with id " + selector.id.toHex());
        } else {
            out.println((dryRun ? "would evict " : "evicted ") + r.keys().size() + " session(s): "
                    + String.join(", ", r.keys().stream()
                            .map(k -> k.protocol().javaName() + " in namespace " + k.namespace()).toList()));
        }
        out.flush();
        return r.keys().isEmpty() ? AdminCommand.NOTHING_MATCHED : AdminCommand.OK;
    }

    private int evictBySelector(CommandLine cl, SessionAdmin admin) {
        PrintWriter out = cl.getOut();
        PrintWriter err = cl.getErr();
        Instant now = Instant.now();
        Revocation watermark;
        if (selector.serverName != null) {
            watermark = Revocation.serverName(selector.serverName.strip(), now);
        } else if (selector.clientCertSha256 != null) {
            watermark = Revocation.clientIdentity(java.util.HexFormat.of().parseHex(selector.clientCertSha256), now);
        } else if (selector.olderThan != null) {
            watermark = Revocation.all(now.minus(selector.olderThan));
        } else {
            watermark = Revocation.all(now);
        }
        boolean canSweep = selector.all || admin.canReadEntries();
        if (dryRun && !canSweep) {
            throw new ParameterException(cl, "--dry-run counts by reading entries, which needs the sealing key ring: "
                    + "give --sealing-key-file or set " + AdminCommand.SEALING_KEYS_ENV);
        }
        boolean sweep = !noSweep && canSweep;
        long[] lastReport = {System.nanoTime()};
        SweepOptions options = new SweepOptions(dryRun, selector.all, scanCount, maxKeysPerSecond,
                (soFar, done, masters) -> {
                    // At most one progress line a second, on stderr: stdout stays clean for --json and scripts.
                    if (System.nanoTime() - lastReport[0] >= 1_000_000_000L) {
                        lastReport[0] = System.nanoTime();
                        err.printf("sweep: %d/%d masters done, %d scanned, %d matched, %d deleted%n",
                                done, masters, soFar.scanned(), soFar.matched(), soFar.deleted());
                        err.flush();
                    }
                });
        EvictResult r = admin.evict(watermark, options, sweep);
        SweepResult s = r.sweep();
        if (json) {
            Map<String, Object> m = base(r);
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("scope", watermark.scope().name());
            w.put("value", watermark.value());
            w.put("createdBefore", watermark.createdBefore().toString());
            w.put("written", !dryRun);
            m.put("watermark", w);
            if (s != null) {
                Map<String, Object> sm = new LinkedHashMap<>();
                sm.put("scanned", s.scanned());
                sm.put("matched", s.matched());
                sm.put("deleted", s.deleted());
                sm.put("unreadable", s.unreadable());
                sm.put("masters", s.masters());
                sm.put("millis", s.took().toMillis());
                m.put("sweep", sm);
            } else {
                m.put("sweep", null);
                m.put("sweepSkipped", noSweep ? "--no-sweep" : "no sealing key ring");
            }
            out.println(Json.write(m));
        } else {
            if (dryRun) {
                out.println("dry run: would revoke " + r.request() + " (" + watermark.scope() + " created before "
                        + watermark.createdBefore() + ")");
            } else {
                out.println("revoked " + r.request() + ": every server stops resuming these sessions now"
                        + " (watermark " + watermark.scope() + " created before " + watermark.createdBefore() + ")");
            }
            if (s != null) {
                out.printf("%s %d of %d sessions scanned on %d master(s) in %d ms%s%n",
                        dryRun ? "would evict" : "swept: deleted " + s.deleted() + ", matched", s.matched(), s.scanned(),
                        s.masters(), s.took().toMillis(),
                        s.unreadable() > 0 ? "; " + s.unreadable() + " entries did not open with this key ring (left alone)" : "");
            } else if (noSweep) {
                out.println("no sweep (--no-sweep): the entries stay in Redis until they expire");
            } else {
                out.println("no sweep: matching by " + (selector.serverName != null ? "server name"
                        : selector.clientCertSha256 != null ? "client certificate" : "age")
                        + " needs the sealing key ring (--sealing-key-file or " + AdminCommand.SEALING_KEYS_ENV
                        + "); the entries stay in Redis until they expire");
            }
        }
        out.flush();
        return s != null && s.matched() == 0 ? AdminCommand.NOTHING_MATCHED : AdminCommand.OK;
    }

    static Map<String, Object> key(SessionKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("namespace", k.namespace());
        m.put("protocol", k.protocol().javaName());
        m.put("id", k.id().toHex());
        return m;
    }

    private Map<String, Object> base(EvictResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("request", r.request());
        m.put("dryRun", r.dryRun());
        m.put("at", r.at().toString());
        m.put("matched", r.matched());
        return m;
    }
}
