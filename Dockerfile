# tls-session-cache server image: build with Maven on JDK 25, run on a JRE 25 with OpenSSL 3.
#   docker build -t tls-session-cache .
#   docker run --rm -p 8443:8443 tls-session-cache serve --listen 0.0.0.0:8443
# The entry point runs java on the jar and its lib/ directly: nothing is built at run time.
# Needs BuildKit (the default builder of current Docker; DOCKER_BUILDKIT=1 on Docker 20.10). No
# '# syntax=' line: it would make BuildKit fetch its Dockerfile frontend from a registry, and the
# built-in one has everything used here (RUN --mount, ARG in FROM).
#
# Build arguments (the defaults are the public images; nothing else changes for a normal build):
#   BUILD_IMAGE    Maven + JDK 25 for the build stage         (maven:3.9-eclipse-temurin-25)
#   RUNTIME_IMAGE  a Java 25 runtime with java on the PATH   (eclipse-temurin:25-jre)
#   APP_FROM       where /app comes from: "build" (Maven, in the build stage) or "prebuilt": the
#                  build context's app/ directory (tls-session-cache.jar and lib/), made on the host
#                  by bin/mvn -pl server -am package; then BUILD_IMAGE is not needed at all.
# scripts/test-compose, on a machine without an image registry, builds with local images:
#   --build-arg RUNTIME_IMAGE=tls-session-cache-base/jre:25 --build-arg APP_FROM=prebuilt
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-25
ARG RUNTIME_IMAGE=eclipse-temurin:25-jre
ARG APP_FROM=build

# ---- build -----------------------------------------------------------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY . .
# The Maven repository is a BuildKit cache mount: dependencies are downloaded once, not per build.
# Tests run in CI (.ci/run), not in the image build: they need redis-server and real clients.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -ntp -pl server -am package -DskipTests \
 && mkdir -p /app \
 && cp "$(ls server/target/server-*.jar | grep -v -e '-tests\.jar$' -e '-sources\.jar$' | head -n 1)" /app/tls-session-cache.jar \
 && cp -r server/target/lib /app/lib

# ---- or: the same /app, built on the host ------------------------------------------------------
FROM scratch AS prebuilt
COPY app/ /app/

# BuildKit builds only the stage named by APP_FROM (and what it needs).
FROM ${APP_FROM} AS app

# ---- run -------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
# libssl.so.3 is the TLS engine (bound with java.lang.foreign). The openssl package depends on it
# under whatever name the image's release gives it (libssl3, libssl3t64), and its CLI is handy for
# debugging; curl is the health check. Installed only when missing (a runtime image that has them
# needs no network here).
RUN if ! command -v openssl >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 || [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends openssl curl ca-certificates \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && ldconfig -p | grep -q 'libssl.so.3 ' \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tlscache
COPY --from=app /app /app
# A JDK AOT cache for this image's JVM and jars (docs/guide/operations.md, "JIT warm-up"): the
# training run serves itself over the build's loopback for AOT_TRAINING_SECONDS; a node started from
# the image then reaches its steady CPU per handshake in ~10-15 s instead of 30-40 s. The same JVM
# options as the entry point (the cache records them).
ARG AOT_TRAINING_SECONDS=20
RUN java --enable-native-access=ALL-UNNAMED -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError \
      -XX:AOTCacheOutput=/app/tls-session-cache.aot \
      -cp "/app/tls-session-cache.jar:/app/lib/*" io.tlssessioncache.server.TlsSessionCacheCli \
      train --seconds "$AOT_TRAINING_SECONDS" \
 && test -s /app/tls-session-cache.aot
WORKDIR /app
USER 10001
EXPOSE 8443
# Heap: 75% of the container's memory limit; an OutOfMemoryError ends the process (the orchestrator
# restarts it) rather than leaving a half-working node. FFM downcalls into libssl are allowed
# explicitly. The JVM's warnings go to stderr (one would say so if the AOT cache could not be used;
# the node then runs without it). More JVM options: JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:AOTCache=/app/tls-session-cache.aot", "-Xlog:disable", "-Xlog:all=warning:stderr", "-cp", "/app/tls-session-cache.jar:/app/lib/*", "io.tlssessioncache.server.TlsSessionCacheCli"]
CMD ["serve", "--listen", "0.0.0.0:8443"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsk --max-time 2 https://127.0.0.1:8443/ >/dev/null || exit 1
