# Sourced by the scripts in bin/ and .ci/: finds a JDK 25 and exports JAVA_HOME, or explains and fails.
find_jdk25() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /opt/java/openjdk; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    # without the user's JVM options: they may print first ("Picked up ...", or an AOT cache's
    # warnings when it was made for another class path) or not apply to a bare `java -version`
    if env -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS "$candidate/bin/java" -version 2>&1 | head -n 1 | grep -Eq 'version "25([."]|$)'; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "error: this project needs JDK 25 (java.lang.foreign); none found." >&2
  echo "       Install Temurin 25 (/usr/lib/jvm/temurin-25-jdk-amd64) or set JAVA_HOME to a JDK 25." >&2
  return 1
}
