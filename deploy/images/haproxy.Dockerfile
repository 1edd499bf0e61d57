# Local stand-in for the public haproxy:2.8 image, for machines without an image registry
# (scripts/test-compose builds it on the Debian base it imports). Debian bookworm ships HAProxy
# 2.6, which deploy/haproxy/haproxy.cfg supports (scripts/test-deploy checks it with haproxy -c).
# As in haproxy:2.8: the configuration at /usr/local/etc/haproxy/haproxy.cfg, the process runs
# as the user haproxy in the foreground (master-worker), bash for the compose health check.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /usr/local/etc/haproxy
USER haproxy
WORKDIR /var/lib/haproxy
STOPSIGNAL SIGUSR1
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
