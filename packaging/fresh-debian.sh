# shellcheck shell=bash
# fresh-debian.sh - sourced: fresh_debian SUITE NAME makes a fresh Debian
# SUITE with debootstrap (minbase) in a folder under /var/tmp, kept in $root
# and removed on exit, and defines in_root CMD... to run a command in it
# with a clean environment (DEBIAN_FRONTEND=noninteractive, and the
# caller's DEB_BUILD_OPTIONS and TSHEAP_SOAK_SECONDS when set).
# TSHEAP_MIRROR: the archive to take it from.
fresh_debian() {
  local suite=$1 name=$2 mirror=${TSHEAP_MIRROR:-http://deb.debian.org/debian}
  root=$(mktemp -d "/var/tmp/tsheap-$name.XXXXXX")
  chmod 755 "$root"   # the system inside runs services as other users
  trap 'umount "$root/proc" 2>/dev/null || true; rm -rf "$root"' EXIT
  echo "=== debootstrap $suite ==="
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
  rm -f "$root.log"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
}

in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive \
    ${DEB_BUILD_OPTIONS:+DEB_BUILD_OPTIONS="$DEB_BUILD_OPTIONS"} \
    ${TSHEAP_SOAK_SECONDS:+TSHEAP_SOAK_SECONDS="$TSHEAP_SOAK_SECONDS"} "$@"
}
