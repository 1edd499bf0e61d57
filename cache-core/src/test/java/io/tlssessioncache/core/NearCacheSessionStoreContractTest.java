package io.tlssessioncache.core;

class NearCacheSessionStoreContractTest extends SessionStoreContract {
    private final RevocationWatermarks marks = new RevocationWatermarks();

    @Override
    protected SessionStore createStore() {
        // The remote knows no revocations: the near-cache alone must enforce them.
        return NearCacheSessionStore.builder(InMemorySessionStore.builder().build()).revocations(marks).build();
    }

    @Override
    protected RevocationWatermarks revocations() {
        return marks;
    }
}
