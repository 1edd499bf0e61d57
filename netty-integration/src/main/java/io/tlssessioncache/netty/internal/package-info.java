/**
 * Not API: the OpenSSL 3 binding (Java's Foreign Function &amp; Memory API over {@code libssl.so.3}),
 * used only by {@code io.tlssessioncache.netty}. Every native call and upcall of the library is in
 * this package. Its public types are public only for that package and may change in any release.
 */
package io.tlssessioncache.netty.internal;
