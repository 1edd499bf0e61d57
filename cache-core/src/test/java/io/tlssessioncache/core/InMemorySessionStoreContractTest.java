package io.tlssessioncache.core;

class InMemorySessionStoreContractTest extends SessionStoreContract {
    private final RevocationWatermarks marks = new RevocationWatermarks();

    @Override
    protected SessionStore createStore() {
        return InMemorySessionStore.builder().revocations(marks).build();
    }

    @Override
    protected RevocationWatermarks revocations() {
        return marks;
    }
}
