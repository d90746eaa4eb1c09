#!/bin/sh
# Install what mod_sms needs on Debian 12, as root, without prompts.
#   sh conf/install-deps.sh          build + run the demo site
#   sh conf/install-deps.sh --test   ... and everything `make check` uses
#   sh conf/install-deps.sh --bench  ... and what `make bench` adds
#   sh conf/install-deps.sh --fuzz   ... and the hardening tools: clang with
#                                    libFuzzer (make fuzz), valgrind (make
#                                    check-valgrind); gcc's ASan/UBSan for
#                                    make check-asan come with build-essential
set -eu
pkgs="build-essential autoconf automake libtool pkg-config
      apache2 apache2-dev apache2-utils
      libapr1-dev libaprutil1-dev libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql
      libcurl4-openssl-dev libjansson-dev sqlite3 ca-certificates"
test_pkgs="libapache2-mod-perl2 libwww-perl libhttp-daemon-perl
           libjson-pp-perl postgresql postgresql-client python3"
for opt in "$@"; do
    case "$opt" in
    --test) pkgs="$pkgs $test_pkgs" ;;
    # make bench: wrk, and Kannel with its fakesmsc (kannel-extras)
    --bench) pkgs="$pkgs $test_pkgs wrk kannel kannel-extras" ;;
    # make fuzz (clang, libFuzzer in libclang-rt-dev), make check-valgrind
    --fuzz) pkgs="$pkgs $test_pkgs clang libclang-rt-dev valgrind" ;;
    *) ;;
    esac
done
missing=
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages:$missing (run as root)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: installed$missing"
