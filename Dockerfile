# syntax=docker/dockerfile:1
# tls-session-cache server image: build with Maven on JDK 25, run on a JRE 25 with OpenSSL 3.
#   docker build -t tls-session-cache .
#   docker run --rm -p 8443:8443 tls-session-cache serve --listen 0.0.0.0:8443
# The entry point runs java on the jar and its lib/ directly: nothing is built at run time.

# ---- build -----------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY . .
# The Maven repository is a BuildKit cache mount: dependencies are downloaded once, not per build.
# Tests run in CI (.ci/run), not in the image build: they need redis-server and real clients.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -ntp -pl server -am package -DskipTests \
 && mkdir -p /app \
 && cp "$(ls server/target/server-*.jar | grep -v -e '-tests\.jar$' -e '-sources\.jar$' | head -n 1)" /app/tls-session-cache.jar \
 && cp -r server/target/lib /app/lib

# ---- run -------------------------------------------------------------------------------------
FROM eclipse-temurin:25-jre
# libssl.so.3 is the TLS engine (bound with java.lang.foreign). The openssl package depends on it
# under whatever name this Ubuntu release gives it (libssl3, libssl3t64), and its CLI is handy for
# debugging; curl is the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && ldconfig -p | grep -q 'libssl.so.3 ' \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tlscache
COPY --from=build /app /app
WORKDIR /app
USER 10001
EXPOSE 8443
# Heap: 75% of the container's memory limit; an OutOfMemoryError ends the process (the orchestrator
# restarts it) rather than leaving a half-working node. FFM downcalls into libssl are allowed
# explicitly. More JVM options: JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-cp", "/app/tls-session-cache.jar:/app/lib/*", "io.tlssessioncache.server.TlsSessionCacheCli"]
CMD ["serve", "--listen", "0.0.0.0:8443"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsk --max-time 2 https://127.0.0.1:8443/ >/dev/null || exit 1
