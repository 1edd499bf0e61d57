# Local stand-in for the public redis:7.0 image, for machines without an image registry
# (scripts/test-compose builds it on the Debian base it imports; Debian bookworm ships Redis 7.0).
# What docker-compose.yml and the Testcontainers fixtures use of redis:7.0 is here too:
# redis-server and redis-cli on the PATH, docker-entrypoint.sh (runs redis-server as the user
# redis), working directory /data.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
