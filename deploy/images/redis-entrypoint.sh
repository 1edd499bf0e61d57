#!/bin/sh
# Entry point of the local Redis image (deploy/images/redis.Dockerfile): started as root with
# redis-server (or with only its options), it hands the working directory to the user redis
# and runs the server as that user; any other command runs as given.
set -eu
case "${1:-}" in
  -*) set -- redis-server "$@" ;;
esac
if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
  chown -R redis:redis .
  exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
