#!/usr/bin/env bash
# Fetch Eclipse Leshan from Maven Central and build our launchers into interop/.cache/leshan.
# Idempotent: a stamp of pom.xml + launcher sources skips Maven when nothing changed.
# Downloads are cached in ~/.m2 (Maven's own cache), so a cold .cache after a fresh clone
# only costs a compile + copy.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="$here/.cache/leshan"

if ! command -v java >/dev/null 2>&1; then
  echo "fetch-leshan: 'java' not found. Leshan needs Java 17+ (Debian: apt-get install -y openjdk-17-jdk-headless maven)." >&2
  exit 2
fi
if ! command -v mvn >/dev/null 2>&1; then
  echo "fetch-leshan: 'mvn' not found (Debian: apt-get install -y maven)." >&2
  exit 2
fi

stamp="$(cat "$here/pom.xml" $(find "$here/src" -type f | LC_ALL=C sort) | sha256sum | cut -d' ' -f1)"
if [ -f "$cache/.stamp" ] && [ "$(cat "$cache/.stamp")" = "$stamp" ] \
   && [ -f "$cache/leshan-server-demo.jar" ] && [ -f "$cache/xs-lwm2m-leshan-launchers.jar" ] \
   && [ -d "$cache/lib" ]; then
  echo "fetch-leshan: up to date in $cache"
  exit 0
fi

# Build into a fresh directory and swap it in at the end, so a JVM already running from the
# old cache (another test run in this tree) keeps its jars until the swap.
build="$cache.build.$$"
rm -rf "$build"
mkdir -p "$build"
trap 'rm -rf "$build"' EXIT
start=$(date +%s)
# (sed: Maven 3.8 prints colour resets even with -q)
mvn -B -q -Dstyle.color=never -Dleshan.cache="$build" -f "$here/pom.xml" package 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fetch-leshan: mvn failed" >&2; exit 1; }
echo "$stamp" > "$build/.stamp"
rm -rf "$cache.old"
[ -d "$cache" ] && mv "$cache" "$cache.old"
mv "$build" "$cache"
rm -rf "$cache.old"
echo "fetch-leshan: Leshan ready in $cache ($(( $(date +%s) - start )) s)"
