# env.sh: where the tests find tsheap.  Installed packages need nothing;
# TSHEAP_PREFIX points the same tests at an install under another prefix.
if [ -n "${TSHEAP_PREFIX:-}" ]; then
  libdir=$(dirname "$(find "$TSHEAP_PREFIX" -name 'libtsheap.so.0' | head -1)")
  export PATH="$TSHEAP_PREFIX/bin:$PATH"
  export PKG_CONFIG_PATH="$libdir/pkgconfig"
  export CMAKE_PREFIX_PATH="$TSHEAP_PREFIX"
  export LD_LIBRARY_PATH="$libdir"
  export LUA_CPATH="$libdir/lua/5.4/?.so"
  export LUAJIT_CPATH="$libdir/lua/5.1/?.so"
  export TSHEAP_SHARE="$TSHEAP_PREFIX/share"
  export TSHEAP_INCLUDE="$TSHEAP_PREFIX/include"
else
  export TSHEAP_SHARE=/usr/share TSHEAP_INCLUDE=/usr/include
fi
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
