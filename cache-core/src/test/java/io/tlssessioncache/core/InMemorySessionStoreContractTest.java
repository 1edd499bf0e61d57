package io.tlssessioncache.core;

class InMemorySessionStoreContractTest extends SessionStoreContract {
    private final RevocationWatermarks marks = new RevocationWatermarks();

    @Override
    protected SessionStore createStore(FakeTime time) {
        return InMemorySessionStore.builder().clock(time.clock()).ticker(time).revocations(marks).build();
    }

    @Override
    protected RevocationWatermarks revocations() {
        return marks;
    }
}
