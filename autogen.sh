#!/bin/sh
# autogen.sh: generate configure and the Makefile.in files from a git clone,
# then run configure (GNOME convention).
#
#   ./autogen.sh [configure options]     regenerate, then ./configure [options]
#   NOCONFIGURE=1 ./autogen.sh           regenerate only
set -e

srcdir=`dirname "$0"`
test -n "$srcdir" || srcdir=.

olddir=`pwd`
cd "$srcdir"

for tool in autoreconf autopoint libtoolize pkg-config; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "autogen.sh: $tool not found: run tools/install-deps first" >&2
    exit 1
  fi
done

# autoreconf runs autopoint (gettext), libtoolize, aclocal, autoconf,
# autoheader and automake --add-missing (build-aux/tap-driver.sh etc.).
autoreconf --force --install --verbose

cd "$olddir"

if test -z "$NOCONFIGURE"; then
  "$srcdir/configure" "$@"
fi
