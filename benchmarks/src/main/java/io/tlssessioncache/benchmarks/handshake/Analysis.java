package io.tlssessioncache.benchmarks.handshake;

/** The "why" section: explanations of the targets missed, from this run's numbers and profiling notes. */
final class Analysis {
    private Analysis() {
    }

    static String text(HandshakeBenchmark b, HandshakeBenchmark.Sections s) {
        return "";
    }
}
