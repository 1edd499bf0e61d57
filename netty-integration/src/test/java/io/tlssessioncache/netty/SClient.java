package io.tlssessioncache.netty;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code openssl s_client} against a test server: sends "bye", waits for the server to close. */
final class SClient {
    private SClient() {
    }

    static Processes.Result run(int port, Path dir, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", "-ign_eof"));
        cmd.addAll(List.of(extra));
        return Processes.run(cmd, dir, "bye\n", Duration.ofSeconds(20));
    }

    static boolean reused(Processes.Result r) {
        return r.output().lines().anyMatch(l -> l.startsWith("Reused,"));
    }

    static boolean isNew(Processes.Result r) {
        return r.output().lines().anyMatch(l -> l.startsWith("New,"));
    }
}
