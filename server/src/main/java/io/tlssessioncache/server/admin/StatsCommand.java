package io.tlssessioncache.server.admin;

import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.redis.SessionAdmin;
import io.tlssessioncache.redis.SessionStats;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code admin stats}: how many sessions, by server name and protocol, and the active watermarks. */
@Command(name = "stats", usageHelpAutoWidth = true,
        description = "Counts the stored sessions (by SNI host name and protocol when the key ring is given; "
                + "otherwise only the total) and lists the active revocation watermarks. Scans every master.")
final class StatsCommand extends AdminSubcommand {

    @Option(names = "--json", description = "Machine-readable output (one JSON object).")
    boolean json;

    @Override
    int execute(CommandLine cl, SessionAdmin admin) {
        SessionStats s = admin.stats();
        PrintWriter out = cl.getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("total", s.total());
            m.put("metadata", s.metadata());
            if (s.metadata()) {
                m.put("unreadable", s.unreadable());
                m.put("revoked", s.revoked());
                m.put("byServerName", s.byServerName());
                m.put("byProtocol", s.byProtocol());
            }
            m.put("watermarks", watermarks(s.watermarks()));
            m.put("masters", s.masters());
            out.println(Json.write(m));
        } else {
            out.println("sessions: " + s.total() + " (" + s.masters() + " master" + (s.masters() == 1 ? "" : "s") + ")");
            if (s.metadata()) {
                out.println("unreadable (sealed under a key not in this ring): " + s.unreadable());
                out.println("revoked, waiting for a sweep or their expiry: " + s.revoked());
                out.println("by server name:");
                s.byServerName().forEach((k, v) -> out.printf("  %-40s %d%n", k, v));
                out.println("by protocol:");
                s.byProtocol().forEach((k, v) -> out.printf("  %-40s %d%n", k, v));
            } else {
                out.println("(no sealing key ring: give --sealing-key-file or " + AdminCommand.SEALING_KEYS_ENV
                        + " for counts by server name and protocol)");
            }
            out.println("revocation watermarks: " + s.watermarks().size());
            for (Revocation r : s.watermarks()) {
                out.printf("  %-16s %-40s created before %s%n", r.scope(), r.value().isEmpty() ? "-" : r.value(),
                        r.createdBefore());
            }
        }
        out.flush();
        return AdminCommand.OK;
    }

    static List<Map<String, Object>> watermarks(List<Revocation> list) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Revocation r : list) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("scope", r.scope().name());
            m.put("value", r.value());
            m.put("createdBefore", r.createdBefore().toString());
            out.add(m);
        }
        return out;
    }
}
