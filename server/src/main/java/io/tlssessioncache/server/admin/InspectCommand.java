package io.tlssessioncache.server.admin;

import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.redis.SessionAdmin;
import io.tlssessioncache.redis.SessionInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code admin inspect --id HEX}: one session's metadata, never its secrets. */
@Command(name = "inspect", usageHelpAutoWidth = true,
        description = "Shows the metadata of the sessions with this id (namespace, protocol, SNI, client certificate "
                + "SHA-256, created, expires, state size) - never its secret state. Needs the key ring for all but the "
                + "namespace, protocol, TTL and size.")
final class InspectCommand extends AdminSubcommand {

    @Option(names = "--id", paramLabel = "HEX", required = true, converter = Converters.Id.class,
            description = "The session id or TLS 1.3 ticket, 64 hex digits.")
    SessionId id;

    @Option(names = "--json", description = "Machine-readable output (one JSON object).")
    boolean json;

    @Override
    int execute(CommandLine cl, SessionAdmin admin) {
        List<SessionInfo> found = admin.inspect(id);
        PrintWriter out = cl.getOut();
        if (json) {
            List<Map<String, Object>> list = new ArrayList<>();
            found.forEach(i -> list.add(toMap(i)));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id.toHex());
            m.put("found", list.size());
            m.put("sessions", list);
            out.println(Json.write(m));
        } else if (found.isEmpty()) {
            out.println("no session with id " + id.toHex());
        } else {
            for (SessionInfo i : found) {
                toMap(i).forEach((k, v) -> out.printf("%-20s %s%n", k + ":", v == null ? "-" : v));
                if (!i.readable()) {
                    out.println("(metadata unavailable: no key ring, or sealed under a key not in this ring)");
                }
                out.println();
            }
        }
        out.flush();
        return found.isEmpty() ? AdminCommand.NOTHING_MATCHED : AdminCommand.OK;
    }

    private static Map<String, Object> toMap(SessionInfo i) {
        Map<String, Object> m = EvictCommand.key(i.key());
        m.put("ttlMillis", i.ttlMillis());
        m.put("sealedSize", i.sealedSize());
        m.put("readable", i.readable());
        if (i.readable()) {
            m.put("serverName", i.serverName());
            m.put("clientCertSha256", i.clientIdentity());
            m.put("createdAt", i.createdAt().toString());
            m.put("expiresAt", i.expiresAt().toString());
            m.put("stateSize", i.stateSize());
        }
        return m;
    }
}
