# scripts/lib.sh: what scripts/fleet, test-deploy, resilience and netfaults share. Sourced, never
# run: set PROG (the prefix of messages) before sourcing.
#
#   say MSG / die MSG            "PROG: MSG" on stdout / "PROG: error: MSG" on stderr, exit 1
#   apt_install PKG...           installs with apt-get when root (one 'apt-get update' if needed)
#   need CMD PKG                 true if CMD exists, after installing PKG when it did not
#   ensure_tools CMD:PKG...      need for each, or die naming what to install
#   apt_mirror SUITE             the URI of the host's apt sources that serves SUITE (empty if none)
#   port_in_use PORT / free_port FROM    on 127.0.0.1
#   now_ms / wait_for SECONDS CMD...
#   load_*                       the project's load generator (LoadCli) for drills, and its windows

: "${PROG:=script}"
LIB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '%s: %s\n' "$PROG" "$*"; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

apt_install() {
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq "$@" || { apt-get update -qq && apt-get install -y -qq "$@"; }; } >/dev/null 2>&1
}

need() {
  command -v "$1" >/dev/null 2>&1 || apt_install "$2" >/dev/null || true
  command -v "$1" >/dev/null 2>&1
}

ensure_tools() {
  local pair missing=()
  for pair in "$@"; do
    need "${pair%%:*}" "${pair#*:}" || missing+=("${pair#*:}")
  done
  [ "${#missing[@]}" -eq 0 ] || die "missing tools; install them first, e.g.: sudo apt-get install -y ${missing[*]}"
}

apt_mirror() { # deb822 (*.sources) first, then one-line sources.list entries
  local m
  m="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$1" '
      /^[[:space:]]*$/ { if (ok && uri != "") { print uri; exit } ok = 0; uri = ""; next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
      END { if (ok && uri != "") print uri }' | head -n 1)"
  [ -n "$m" ] || m="$(awk -v s="$1" '$1 == "deb" { for (i = 2; i < NF; i++) if ($(i + 1) == s && $i !~ /^\[/) { print $i; exit } }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)"
  echo "$m"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local p="$1"
  while port_in_use "$p"; do p=$((p + 1)); done
  echo "$p"
}

now_ms() { date +%s%3N; }

wait_for() {
  local deadline=$(($(date +%s) + $1)); shift
  until "$@"; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.1; done
}

# ---- load for drills --------------------------------------------------------------------------
# LoadCli (benchmarks module): client threads, each connection to the next target offering the
# session the previous one got; one line per connection: START_MS MICROS OUTCOME TARGET_INDEX,
# OUTCOME full|resumed|missed|failed.

LOAD_JAR="$LIB_ROOT/benchmarks/target/benchmarks.jar"

# load_build: the server and the load generator, built once (never 'mvn install').
load_build() {
  if [ ! -f "$LOAD_JAR" ] || [ ! -f "$LIB_ROOT/server/target/server-0.1.0-SNAPSHOT.jar" ] \
      || [ -n "$(find "$LIB_ROOT"/*/src/main -newer "$LOAD_JAR" -type f -print -quit 2>/dev/null)" ]; then
    say "building the server and the load generator (bin/mvn package -DskipTests)"
    "$LIB_ROOT/bin/mvn" -B -q -ntp -DskipTests -pl server,benchmarks -am package >"${TMPDIR:-/tmp}/$PROG-build.log" 2>&1 \
      || { tail -n 30 "${TMPDIR:-/tmp}/$PROG-build.log" >&2; die "build failed"; }
  fi
  # the launcher rebuilds when any source is newer than its jar: let it do so once, here, rather
  # than in several nodes starting at the same time
  "$LIB_ROOT/bin/tls-session-cache" --version >/dev/null || die "bin/tls-session-cache does not run"
  # shellcheck source=../bin/jdk25.sh
  . "$LIB_ROOT/bin/jdk25.sh"
  find_jdk25 >/dev/null || die "no JDK 25"
}

# load_start FILE [WRAPPER...] -- TARGET...: starts LoadCli in the background writing FILE
# (WRAPPER e.g. 'ip netns exec NS'); LOAD_THREADS (8). Stops when load_stop is called.
load_start() {
  local file="$1"; shift
  local -a wrapper=() targets=()
  while [ "$#" -gt 0 ] && [ "$1" != -- ]; do wrapper+=("$1"); shift; done
  shift
  local t
  for t in "$@"; do targets+=(--target "$t"); done
  LOAD_STOP_FILE="$file.stop"
  rm -f "$LOAD_STOP_FILE"
  ${wrapper[@]+"${wrapper[@]}"} "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx512m \
    -cp "$LOAD_JAR" io.tlssessioncache.benchmarks.handshake.LoadCli "${targets[@]}" \
    --threads "${LOAD_THREADS:-8}" --stop-file "$LOAD_STOP_FILE" --out "$file" >"$file.summary" 2>"$file.err" &
  LOAD_PID=$!
}

load_stop() {
  [ -n "${LOAD_PID:-}" ] || return 0
  touch "$LOAD_STOP_FILE"
  wait "$LOAD_PID" 2>/dev/null
  LOAD_PID=
}

LOAD_TABLE_HEAD='| window | connections | per s | failed | resumed / offered | p50 ms | p99 ms | max ms |
|---|---|---|---|---|---|---|---|'

# load_window FILE FROM_MS TO_MS [TARGET_INDEX]: "| n | per s | failed | resumed/offered (%) | p50 | p99 | max |"
load_window() {
  awk -v a="$2" -v b="$3" -v t="${4:-}" '$1 >= a && $1 < b && (t == "" || $4 == t)' "$1" >"$1.win"
  local n failed offered resumed p50 p99 max secs rate pct="-"
  n="$(wc -l <"$1.win")"
  failed="$(awk '$3 == "failed"' "$1.win" | wc -l)"
  resumed="$(awk '$3 == "resumed"' "$1.win" | wc -l)"
  offered="$(awk '$3 == "resumed" || $3 == "missed"' "$1.win" | wc -l)"
  read -r p50 p99 max < <(awk '{print $2}' "$1.win" | sort -n | awk '{v[NR] = $1} END {
      if (NR == 0) { print "- - -"; exit }
      i50 = int(NR * 0.50 + 0.5); if (i50 < 1) i50 = 1
      i99 = int(NR * 0.99 + 0.5); if (i99 < 1) i99 = 1; if (i99 > NR) i99 = NR
      printf "%.1f %.1f %.1f\n", v[i50] / 1000, v[i99] / 1000, v[NR] / 1000 }')
  secs=$(( ($3 - $2) / 1000 )); [ "$secs" -gt 0 ] || secs=1
  rate=$(( n / secs ))
  [ "$offered" -gt 0 ] && pct="$(awk -v r="$resumed" -v o="$offered" 'BEGIN {printf "%.1f%%", 100 * r / o}')"
  echo "| $n | $rate | $failed | $resumed/$offered ($pct) | $p50 | $p99 | $max |"
}

# load_count FILE FROM_MS TO_MS OUTCOME [TARGET_INDEX]: how many connections had OUTCOME.
load_count() {
  awk -v a="$2" -v b="$3" -v o="$4" -v t="${5:-}" '$1 >= a && $1 < b && $3 == o && (t == "" || $4 == t)' "$1" | wc -l
}

# load_first_resumed_after FILE MS [TARGET_INDEX]: ms from MS to the end of the first resumed
# connection that started after MS ("-" if none).
load_first_resumed_after() {
  awk -v a="$2" -v t="${3:-}" '$1 >= a && $3 == "resumed" && (t == "" || $4 == t) {
      e = $1 + int($2 / 1000) - a; if (best == "" || e < best) best = e }
    END { print (best == "" ? "-" : best) }' "$1"
}
