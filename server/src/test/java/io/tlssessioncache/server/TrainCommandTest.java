package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code train}, the AOT cache's training run: it must really exercise every handshake kind, or the
 * cache would be trained on a path the server does not take (a resumption counts when the client,
 * JSSE, kept its offered session and the server's page says {@code resumed: yes}).
 */
@Timeout(60)
class TrainCommandTest {

    private static final Pattern KIND = Pattern.compile("(TLSv1\\.[23]) full (\\d+), resumed (\\d+) of (\\d+);");

    @Test
    void drivesFullAndResumedHandshakesOfBothProtocolsAndScrapesTheMeters() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = TlsSessionCacheCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));

        int code = cl.execute("train", "--seconds", "2");

        assertEquals(0, code, "stdout:\n" + out + "\nstderr:\n" + err);
        Matcher m = KIND.matcher(out.toString());
        int protocols = 0;
        while (m.find()) {
            protocols++;
            long full = Long.parseLong(m.group(2));
            long resumed = Long.parseLong(m.group(3));
            long offered = Long.parseLong(m.group(4));
            assertTrue(full >= 10, m.group(1) + ": " + full + " full handshakes in 2 s");
            // each offer is the session the previous connection of the same name got: all resume
            assertEquals(offered, resumed, m.group(1) + " resumed " + resumed + " of " + offered);
        }
        assertEquals(2, protocols, out.toString());
        assertTrue(out.toString().matches("(?s).*metrics scrapes [1-9].*"), out.toString());
        assertTrue(!out.toString().contains("full-handshake connections resumed"), out.toString());
        assertTrue(!out.toString().contains("disagreed on resumption"), out.toString());
    }

    @Test
    void refusesAnOutOfRangeDuration() {
        StringWriter err = new StringWriter();
        CommandLine cl = TlsSessionCacheCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute("train", "--seconds", "0"));
        assertTrue(err.toString().contains("--seconds must be 1 to 600"), err.toString());
    }
}
