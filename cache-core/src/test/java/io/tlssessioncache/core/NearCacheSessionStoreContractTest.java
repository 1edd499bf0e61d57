package io.tlssessioncache.core;

class NearCacheSessionStoreContractTest extends SessionStoreContract {
    private final RevocationWatermarks marks = new RevocationWatermarks();

    @Override
    protected SessionStore createStore(FakeTime time) {
        // The remote knows neither revocations nor this clock: the near-cache's layer alone must judge.
        return NearCacheSessionStore.builder(InMemorySessionStore.builder().build())
                .clock(time.clock()).ticker(time).revocations(marks).build();
    }

    @Override
    protected RevocationWatermarks revocations() {
        return marks;
    }
}
