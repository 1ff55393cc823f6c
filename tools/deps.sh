#!/usr/bin/env bash
# Install the Debian packages flytec needs, only those that are missing.
set -eu
pkgs="gcc make pkg-config clang libclang-rt-14-dev python3 tzdata
libyaml-dev libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev protobuf-compiler
libsqlite3-dev sqlite3 libcurl4-openssl-dev libpcre2-dev libcmocka-dev
libmicrohttpd-dev libjansson-dev libarchive-dev libssl-dev wrk
libgrpc-dev python3-grpcio protobuf-compiler-grpc
curl time bc graphviz python3-protobuf neovim ninja-build linux-perf
chromium chromium-driver python3-selenium"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "deps: all present"
  exit 0
fi
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
