#!/bin/sh
# Creates the tls-session-cache Redis Cluster (3 masters + 3 replicas) from six empty nodes and
# waits until every node reports cluster_state:ok with all 16384 slots. Idempotent: a cluster
# that is already formed is left alone. Used by docker-compose.yml (service redis-cluster-init)
# and by scripts/fleet, so both build the same topology.
#
# usage: cluster-init.sh HOST:PORT x6      (hostnames are resolved to addresses first)
# env:   REDIS_OPS_PASSWORD  password of the ACL user 'ops'
#        CLUSTER_WAIT_SECONDS  how long to wait for cluster_state:ok (default 60)
set -eu

[ "$#" -eq 6 ] || { echo "usage: $0 HOST:PORT x6" >&2; exit 2; }
: "${REDIS_OPS_PASSWORD:?REDIS_OPS_PASSWORD must be set}"
export REDISCLI_AUTH="$REDIS_OPS_PASSWORD"
wait_s="${CLUSTER_WAIT_SECONDS:-60}"

ops() { # ops HOST PORT ARGS...: a command as the ACL user 'ops' (password from REDISCLI_AUTH)
  h="$1"; p="$2"; shift 2
  redis-cli -h "$h" -p "$p" --user ops --no-auth-warning "$@"
}

# redis-cli --cluster create wants addresses; the nodes announce hostnames to clients themselves.
addrs=""
for hp in "$@"; do
  h="${hp%:*}"; p="${hp##*:}"
  case "$h" in
    *[!0-9.]*) ip="$(getent hosts "$h" | awk 'NR==1 {print $1}')" ;;
    *) ip="$h" ;;
  esac
  [ -n "$ip" ] || { echo "cluster-init: cannot resolve $h" >&2; exit 1; }
  addrs="$addrs $ip:$p"
done

first="${1%:*}"; first_port="${1##*:}"
known="$(ops "$first" "$first_port" cluster info | tr -d '\r' | awk -F: '$1 == "cluster_known_nodes" {print $2}')"
if [ "${known:-1}" -ge 6 ]; then
  echo "cluster-init: cluster already formed ($known nodes known)"
else
  echo "cluster-init: creating cluster on$addrs"
  # shellcheck disable=SC2086
  redis-cli --user ops --no-auth-warning --cluster create $addrs --cluster-replicas 1 --cluster-yes
fi

deadline=$(( $(date +%s) + wait_s ))
for hp in "$@"; do
  h="${hp%:*}"; p="${hp##*:}"
  while :; do
    info="$(ops "$h" "$p" cluster info 2>/dev/null | tr -d '\r' || true)"
    case "$info" in
      *cluster_state:ok*cluster_slots_ok:16384*) break ;;
    esac
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "cluster-init: $hp not ok after ${wait_s}s:" >&2
      echo "$info" | grep -E 'cluster_state|cluster_slots_ok|cluster_known_nodes' >&2 || true
      exit 1
    fi
    sleep 0.2
  done
done
echo "cluster-init: cluster_state:ok on all 6 nodes"
