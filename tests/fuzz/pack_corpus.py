#!/usr/bin/env python3
"""pack_corpus.py - turn a large fuzz_api corpus into a dozen seed files.

usage: pack_corpus.py FUZZ_API_FT FUZZ_API_GIL CORPUS_DIR OUT_DIR [--seeds 12] [--size 4000]

Runs both fuzz_api binaries with -merge=1 over CORPUS_DIR (e.g. what a long
`run.sh` left, or `-merge=1` of several campaigns) to learn each input's
coverage edges and features.  It then packs inputs into --seeds files of at
most --size bytes, greedily, densest new coverage first.  Each input is
followed by 8 zero bytes, so that its last operation reads the zeros it read
alone.  A packed seed runs its pieces one after another in one input, so it
keeps most of their coverage, not all of it.
"""
import argparse
import os
import subprocess
import sys
import tempfile


def control(binary, corpus, tmp, tag):
    ctl = os.path.join(tmp, "ctl-" + tag)
    empty = os.path.join(tmp, "empty-" + tag)
    os.mkdir(empty)
    subprocess.run([binary, "-merge=1", "-merge_control_file=" + ctl, empty, corpus],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    lines = open(ctl).read().split("\n")
    n = int(lines[0])
    files = lines[2:2 + n]
    cov, ft = {}, {}
    for line in lines[2 + n:]:
        p = line.split()
        if p and p[0] in ("COV", "FT"):
            (cov if p[0] == "COV" else ft)[files[int(p[1])]] = {(tag, int(x)) for x in p[2:]}
    return files, cov, ft


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ft")
    ap.add_argument("gil")
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--size", type=int, default=4000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files, c1, t1 = control(os.path.abspath(a.ft), os.path.abspath(a.corpus), tmp, "ft")
        _, c2, t2 = control(os.path.abspath(a.gil), os.path.abspath(a.corpus), tmp, "gil")
    items = []
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        items.append((data, c1.get(f, set()) | c2.get(f, set()), t1.get(f, set()) | t2.get(f, set())))
    seeds = [bytearray() for _ in range(a.seeds)]
    edges, feats = set(), set()
    left = items
    while left:
        best, best_score = None, 0.0
        for it in left:
            ne, nf = len(it[1] - edges), len(it[2] - feats)
            score = (ne * 20 + nf) / (len(it[0]) + 8)
            if score > best_score:
                best, best_score = it, score
        if best is None:
            break
        left = [it for it in left if it is not best]
        piece = best[0] + bytes(8)
        room = [s for s in seeds if len(s) + len(piece) <= a.size]
        if room:
            min(room, key=len).extend(piece)
            edges |= best[1]
            feats |= best[2]
    os.makedirs(a.out, exist_ok=True)
    for k, s in enumerate(seeds):
        with open(os.path.join(a.out, "seed-%02d" % k), "wb") as fh:
            fh.write(bytes(s))
    print("%d seeds, %d bytes, from %d inputs" % (len(seeds), sum(map(len, seeds)), len(items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
