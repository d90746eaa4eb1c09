#!/bin/sh
# Install what mod_sms needs on Debian 12, as root, without prompts.
#   sh conf/install-deps.sh          build + run the demo site
#   sh conf/install-deps.sh --test   ... and everything `make check` uses
#                                    (with Debian's chromium and, in t/ui,
#                                    `npm ci` of the pinned Playwright for
#                                    the browser tests; no browser download)
#   sh conf/install-deps.sh --bench  ... and what `make bench` adds
#   sh conf/install-deps.sh --fuzz   ... and the hardening tools: clang with
#                                    libFuzzer (make fuzz), valgrind (make
#                                    check-valgrind); gcc's ASan/UBSan for
#                                    make check-asan come with build-essential
set -eu
pkgs="build-essential autoconf automake libtool pkg-config
      apache2 apache2-dev apache2-utils
      libapr1-dev libaprutil1-dev libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql
      libcurl4-openssl-dev libssl-dev libjansson-dev libsqlite3-dev sqlite3 ca-certificates
      g++ libphonenumber-dev libicu-dev"
test_pkgs="libapache2-mod-perl2 libwww-perl libhttp-daemon-perl
           libjson-pp-perl postgresql postgresql-client python3 chromium
           clang-format
           python3-phonenumbers python3-prometheus-client"
# node and npm run the browser tests; an image may bring its own
command -v node >/dev/null 2>&1 || test_pkgs="$test_pkgs nodejs"
command -v npm >/dev/null 2>&1 || test_pkgs="$test_pkgs npm"
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
# t/ui's pinned test tools (@playwright/test), once per lock file change
npm_ci() {
    # (the lists span lines: compare words, not the text)
    # shellcheck disable=SC2086
    case " $(echo $pkgs) " in *" chromium "*) ;; *) return 0 ;; esac
    ui=$(cd "$(dirname "$0")/../t/ui" && pwd)
    if [ ! -f "$ui/node_modules/.package-lock.json" ] \
        || [ "$ui/package-lock.json" -nt "$ui/node_modules/.package-lock.json" ]; then
        (cd "$ui" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit \
            --no-fund --loglevel=error) && echo "install-deps: npm ci in $ui"
    fi
}
missing=
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing="$missing $p"
done
if [ -z "$missing" ]; then
    npm_ci
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages:$missing (run as root)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: installed$missing"
npm_ci
