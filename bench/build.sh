#!/usr/bin/env bash
# build.sh BUILD_DIR OUT_DIR: compile every workload once per peer into
# OUT_DIR/<workload>-<peer>, each allocator linked into its own binary.
# jemalloc and tcmalloc replace malloc in theirs; peer.h checks that at start.
set -euo pipefail
build=$(cd "${1:?usage: build.sh BUILD_DIR OUT_DIR}" && pwd)
out=${2:?usage: build.sh BUILD_DIR OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
guard=$(lua5.4 "$here/../codegen/tsheap-gen" --print guard "$here/../spec/tsheap.spec.lua")
inc="$build/generated/include"
cflags=(-O2 -g -Wall -Wextra -D_GNU_SOURCE -pthread)

peer_flags() {
  case $1 in
    glibc)      echo "-DPEER_GLIBC" ;;
    mimalloc)   echo "-DPEER_MIMALLOC -lmimalloc" ;;
    mi_heap)    echo "-DPEER_MIHEAP -lmimalloc" ;;
    jemalloc)   echo "-DPEER_JEMALLOC -Wl,--no-as-needed -ljemalloc" ;;
    tcmalloc)   echo "-DPEER_TCMALLOC -Wl,--no-as-needed -ltcmalloc_minimal" ;;
    pymalloc)   echo "-DPEER_PYMALLOC $(pkg-config --cflags --libs python3-embed)" ;;
    tsheap-ft)  echo "-DPEER_TSHEAPT -D$guard -I$inc -L$build -ltsheapt -Wl,-rpath,$build" ;;
    tsheap-gil) echo "-DPEER_TSHEAP -I$inc -L$build -ltsheap -Wl,-rpath,$build" ;;
  esac
}

all_peers="glibc mimalloc mi_heap jemalloc tcmalloc pymalloc tsheap-ft tsheap-gil"
declare -A peers=(
  [pairs]=$all_peers [threads]=$all_peers [xfree]=$all_peers [churn]=$all_peers [memory]=$all_peers
  [teardown]="mi_heap tsheap-ft tsheap-gil"
)
# one compiler command a line, two at a time (the machine has two cores)
for w in "${!peers[@]}"; do
  for p in ${peers[$w]}; do
    echo "cc ${cflags[*]} '$here/$w.c' -o '$out/$w-$p' $(peer_flags "$p")"
  done
done | xargs -P 2 -I{} sh -c '{}'
