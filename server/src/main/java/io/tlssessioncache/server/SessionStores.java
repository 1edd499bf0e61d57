package io.tlssessioncache.server;

import io.tlssessioncache.core.InMemorySessionStore;
import io.tlssessioncache.core.SessionStore;

/**
 * Opens the store a {@link StoreSpec} names. One place per kind of store, so adding one is one
 * {@code case}.
 */
final class SessionStores {

    private SessionStores() {
    }

    /**
     * Opens the store; the caller closes it.
     *
     * @throws UnavailableStoreException when this build cannot open that kind of store
     */
    static SessionStore open(StoreSpec spec, ServerSettings settings) {
        return switch (spec) {
            case StoreSpec.Memory memory -> InMemorySessionStore.builder().maximumSize(settings.maxSessions()).build();
            case StoreSpec.Redis redis -> throw new UnavailableStoreException(
                    "--store " + redis + ": the Redis store is not available in this build; use --store memory");
        };
    }

    /** The user asked for a store this build does not have. */
    static final class UnavailableStoreException extends IllegalArgumentException {
        UnavailableStoreException(String message) {
            super(message);
        }
    }
}
