#!/bin/sh
# Generate ./configure from configure.ac (needs autoconf, automake, libtool,
# pkg-config: apt-get install autoconf automake libtool pkg-config).
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --install --force
