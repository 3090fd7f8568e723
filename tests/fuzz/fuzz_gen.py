#!/usr/bin/env python3
"""fuzz_gen.py - a mutation fuzzer for codegen/tsheap-gen.

Seeds: spec/tsheap.spec.lua, tests/codegen/bad/*.spec.lua and
tests/codegen/edge/*.spec.lua.  Each iteration takes a seed, applies one to
four mutations (byte flips, line deletions and duplications, token swaps and
replacements, key renames, value type changes, lines spliced from another
seed), writes the result to a fresh directory and runs

    lua5.4 codegen/tsheap-gen --out <fresh empty dir> <spec>

with a 10 s timeout.  Exactly two outcomes are allowed:

  valid   exit 0, nothing on stderr, every output that `--print outputs` names
          written whole (present, and no *.tmp left behind), and `--check`
          agrees that the tree is fresh;
  error   exit 1, stderr exactly one line "<spec>:<line>: error: <message>"
          with 1 <= line <= the spec's line count + 1, nothing on stdout,
          nothing written, and the same line again from `--print outputs`.

Anything else is a failure: a crash (a Lua traceback, another exit status or
stderr shape), a hang (the timeout), or a partial output.  Runs are
deterministic for a given --seed and --iterations.  Every file under
tests/fuzz/regressions/gen/ is replayed first, unmutated.

usage: fuzz_gen.py [--iterations N] [--seed S] [--save DIR] [--lua LUA] [--cc CC] [-v]
A failure whose signature (where the traceback starts, or its kind) matches
a regression spec that still fails is counted as a hit of that known bug, not
as a new failure; the replay itself still fails.  Valid outputs must also
compile as C11 (--cc, default cc; '' to skip).  Prints a summary and ends with
"N passed, N failed"; exits 1 on any failure.
"""
import argparse
import glob
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GEN = os.path.join(ROOT, "codegen", "tsheap-gen")
TIMEOUT = 10

KEYS = ["name", "prefix", "version", "guard", "default_domain", "doc", "counted", "message", "kind",
        "values", "fields", "returns", "params", "thread", "since", "impl", "builds", "gil", "abi",
        "swig", "dir", "nullable", "ownership", "ft", "gil", "bogus", "_", "1", "Name"]
VALUES = ['"x"', '""', '"0.1.0"', '"99.0.0"', '"1.2"', '"owner"', '"any"', '"held"', '"take"', '"none"',
          '"inline:malloc"', '"inline:bogus"', '"tsheap_domain"', '"void *"', '"tsheap_state *"',
          '"size_t"', '"int"', '"status"', '"pointer"', '"value"', '"void"', '"enum"', '"struct"',
          '"callback"', '"opaque"', '"out"', '"inout"', '"caller"', '"transfer"', '"a\\nb"', '"q\\"q"',
          '"tsheap__x"', '"1abc"', '"raw"', '"gc"', "true", "false", "nil", "0", "1", "-1", "2", "1.5",
          "1e309", "0/0", "{}", "{{}}", '{ "ft" }', '{ "ft", "gil" }', '{ "zz" }', "{ 1, 2 }",
          "{ ft = 1 }", '{ "int", "x" }', "{ { \"int\", \"x\" } }", "print", "api", "func", "error"]
TOKEN_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|\[\[.*?\]\]|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|--[^\n]*|\S',
                      re.S)
SUMMARY_KEYS = ["valid", "error", "crash", "hang", "partial", "invalid-c"]


def read_seeds():
    seeds = [os.path.join(ROOT, "spec", "tsheap.spec.lua"), os.path.join(ROOT, "tests", "codegen", "minimal.spec.lua")]
    for sub in ("bad", "edge"):
        seeds += sorted(glob.glob(os.path.join(ROOT, "tests", "codegen", sub, "*.spec.lua")))
    out = []
    for path in seeds:
        with open(path, "rb") as f:
            out.append((os.path.relpath(path, ROOT), f.read()))
    return out


# ---- mutations: each takes (rng, data, seeds) and returns new bytes ----

def m_byte_flip(rng, data, seeds):
    if not data:
        return data
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(b))
        r = rng.random()
        if r < 0.4:
            b[i] ^= 1 << rng.randrange(8)
        elif r < 0.8:
            b[i] = rng.choice(b'{}[]()"\'=,.:;-+*/\\\n 0123456789abcxyz_')
        else:
            b[i] = rng.randrange(256)
    return bytes(b)


def lines_of(data):
    return data.split(b"\n")


def m_line_delete(rng, data, seeds):
    ls = lines_of(data)
    if len(ls) <= 1:
        return data
    i = rng.randrange(len(ls))
    n = rng.choice([1, 1, 1, 2, 3])
    del ls[i:i + n]
    return b"\n".join(ls)


def m_line_dup(rng, data, seeds):
    ls = lines_of(data)
    i = rng.randrange(len(ls))
    n = rng.choice([1, 1, 2, 4])
    block = ls[i:i + n]
    j = rng.randrange(len(ls) + 1)
    ls[j:j] = block
    return b"\n".join(ls)


def tokens(text):
    return [(m.start(), m.end()) for m in TOKEN_RE.finditer(text) if not m.group().startswith("--")]


def m_token_swap(rng, data, seeds):
    text = data.decode("latin-1")
    toks = tokens(text)
    if len(toks) < 2:
        return data
    a, b = sorted(rng.sample(range(len(toks)), 2))
    (s1, e1), (s2, e2) = toks[a], toks[b]
    return (text[:s1] + text[s2:e2] + text[e1:s2] + text[s1:e1] + text[e2:]).encode("latin-1")


def m_token_replace(rng, data, seeds):
    text = data.decode("latin-1")
    toks = tokens(text)
    if not toks:
        return data
    s, e = rng.choice(toks)
    if rng.random() < 0.5:
        s2, e2 = rng.choice(toks)
        new = text[s2:e2]
    else:
        new = rng.choice(VALUES)
    return (text[:s] + new + text[e:]).encode("latin-1")


def m_key_rename(rng, data, seeds):
    text = data.decode("latin-1")
    keys = list(re.finditer(r"\b([A-Za-z_][A-Za-z0-9_]*)(\s*=)(?!=)", text))
    if not keys:
        return data
    m = rng.choice(keys)
    new = rng.choice(KEYS)
    if new.isdigit():
        new = "[" + new + "]"
    return (text[:m.start(1)] + new + text[m.end(1):]).encode("latin-1")


def m_value_change(rng, data, seeds):
    text = data.decode("latin-1")
    vals = list(re.finditer(r'=\s*("(?:[^"\\\n]|\\.)*"|true|false|\d+|\{[^{}]*\})', text))
    if not vals:
        return data
    m = rng.choice(vals)
    return (text[:m.start(1)] + rng.choice(VALUES) + text[m.end(1):]).encode("latin-1")


def m_splice(rng, data, seeds):
    other = lines_of(rng.choice(seeds)[1])
    ls = lines_of(data)
    i = rng.randrange(len(other))
    block = other[i:i + rng.choice([1, 2, 5])]
    j = rng.randrange(len(ls) + 1)
    ls[j:j] = block
    return b"\n".join(ls)


def m_truncate(rng, data, seeds):
    if len(data) < 2:
        return data
    return data[:rng.randrange(1, len(data))]


MUTATIONS = [m_byte_flip, m_line_delete, m_line_dup, m_token_swap, m_token_replace, m_token_replace,
             m_key_rename, m_key_rename, m_value_change, m_value_change, m_splice, m_truncate]


def mutate(rng, data, seeds):
    names = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
        fn = rng.choice(MUTATIONS)
        data = fn(rng, data, seeds)
        names.append(fn.__name__[2:])
    return data, names


# ---- running tsheap-gen and judging the outcome ----

def run(lua, args, cwd):
    try:
        p = subprocess.run([lua, GEN] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, b"", b""


def files_under(d):
    out = []
    for base, _, names in os.walk(d):
        for n in names:
            out.append(os.path.relpath(os.path.join(base, n), d))
    return sorted(out)


def signature(outcome, detail):
    """What identifies a failure for deduplication: where a traceback starts, or its kind."""
    def norm(text):
        text = re.sub(r"(['\u2018\u2019\"]).*?(['\u2018\u2019\"])", "Q", text)
        return re.sub(r"0x[0-9a-f]+|\d+", "N", text).strip()[:80]
    if outcome == "crash":
        m = re.search(r"lua[0-9.]*: (?:[^\s:]*/)?([\w.-]+\.lua|tsheap-gen):(\d+):", detail)
        if m:
            return "traceback at %s:%s" % (m.group(1), m.group(2))
        m = re.search(r"lua[0-9.]*: (.*)", detail)
        if m and "traceback" in detail:
            return "traceback: " + norm(m.group(1))
        if detail.startswith("exit 1 but stderr is not one") and re.search(r":\d+: error: ", detail):
            return "multi-line error message"
        if detail.startswith("--check"):
            return "nondeterministic output (--check disagrees with the run before)"
        if detail.startswith("--print outputs"):
            return "nondeterministic error (--print outputs gives another)"
        return "crash: " + norm(detail.split("\n")[0])
    if outcome == "invalid-c":
        m = re.search(r"error: (.*)", detail)
        return "invalid C: " + norm(m.group(1) if m else detail.split("\n")[0])
    return outcome


# Where the library's hand-written <tsheap/tsheap_fast.h> is (a build's
# generated/include): every generated header includes it.
FAST_INCLUDE = None


def compiles(cc, out, guard, work):
    """The generated header and stubs compile as C11 (with and without the guard)."""
    inc, core = os.path.join(out, "include"), os.path.join(out, "core")
    headers = glob.glob(os.path.join(inc, "*", "*.h"))
    if not headers:
        return "no header under include/"
    src = os.path.join(work, "use.c")
    with open(src, "w") as f:
        f.write('#include "%s"\nint main(void) { return 0; }\n' % headers[0])
    jobs = [[src], ["-D" + guard, src]]
    jobs += [["-I" + core, c] for c in sorted(glob.glob(os.path.join(core, "stubs_*.c")))]
    for j in jobs:
        try:
            p = subprocess.run([cc, "-std=c11", "-fsyntax-only", "-I" + inc, "-I" + FAST_INCLUDE] + j, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=60)
        except subprocess.TimeoutExpired:
            return "the compiler hung on %s" % " ".join(j)
        if p.returncode != 0:
            return "%s does not compile:\n%s" % (" ".join(os.path.basename(x) for x in j),
                                                  p.stdout.decode("utf-8", "replace")[:1500])
    return None


def judge(lua, spec_path, nlines, work, cc=None):
    """Run the generator on spec_path; return (outcome, detail)."""
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    os.mkdir(out)
    rc, so, se = run(lua, ["--out", out, spec_path], work)
    written = files_under(out)
    if rc is None:
        return "hang", "no exit within %d s" % TIMEOUT
    err = se.decode("utf-8", "replace")
    if b"traceback" in se.lower():
        return "crash", "exit %d with a Lua traceback:\n%s" % (rc, err)
    if rc == 1:
        lines = err.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        prefix = re.escape(spec_path) + r":(\d+): error: \S"
        m = re.match(prefix, lines[0]) if lines else None
        if len(lines) != 1 or not m:
            return "crash", "exit 1 but stderr is not one '%s:LINE: error: ...' line:\n%s" % (spec_path, err)
        line = int(m.group(1))
        if not 1 <= line <= nlines + 1:
            return "crash", "error line %d outside the spec's %d lines: %s" % (line, nlines, err)
        if so:
            return "crash", "an error, and output on stdout: %r" % so[:200]
        if written:
            return "partial", "failed (%s) and wrote %s" % (err.strip(), ", ".join(written))
        # the same spec gives the same error, whatever the mode
        rc2, so2, se2 = run(lua, ["--print", "outputs", spec_path], work)
        if rc2 != 1 or so2 or se2 != se:
            return "crash", "--print outputs after the error gave exit %s:\n%s%s" % (
                rc2, so2.decode("utf-8", "replace")[:200], se2.decode("utf-8", "replace"))
        return "error", lines[0]
    if rc != 0:
        return "crash", "exit status %d:\n%s" % (rc, err)
    if se:
        return "crash", "exit 0 with stderr:\n%s" % err
    rc2, so2, se2 = run(lua, ["--print", "outputs", spec_path], work)
    if rc2 != 0:
        return "crash", "generation succeeded but --print outputs gave exit %s: %s" % (rc2, se2.decode("utf-8", "replace"))
    want = sorted(l for l in so2.decode("utf-8", "replace").split("\n") if l)
    if any(f.endswith(".tmp") for f in written):
        return "partial", "left temporary files: %s" % ", ".join(f for f in written if f.endswith(".tmp"))
    missing = [f for f in want if f not in written]
    if missing or not want:
        return "partial", "exit 0 but outputs missing: %s (wrote %s)" % (", ".join(missing) or "(none named)",
                                                                          ", ".join(written))
    empty = [f for f in want if os.path.getsize(os.path.join(out, f)) == 0]
    if empty:
        return "partial", "exit 0 but empty outputs: %s" % ", ".join(empty)
    rc3, so3, se3 = run(lua, ["--check", "--out", out, spec_path], work)
    if rc3 != 0:
        return "crash", "--check after a successful generation gave exit %s:\n%s%s" % (
            rc3, so3.decode("utf-8", "replace")[:2000], se3.decode("utf-8", "replace"))
    if cc:
        rc4, so4, _ = run(lua, ["--print", "guard", spec_path], work)
        why = compiles(cc, out, so4.decode().strip(), work) if rc4 == 0 else "--print guard failed"
        if why:
            return "invalid-c", why
    return "valid", "%d files" % len(written)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iterations", type=int, default=int(os.environ.get("TSHEAP_GEN_FUZZ_ITERATIONS", 300)))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save", help="directory to copy failing specs into")
    ap.add_argument("--lua", default=os.environ.get("LUA54", "lua5.4"))
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"), help="C compiler for the outputs ('' to skip)")
    ap.add_argument("--fast-include", default=os.environ.get("TSHEAP_FAST_INCLUDE"),
                    help="a build's generated/include, which holds <tsheap/tsheap_fast.h>")
    ap.add_argument("--regressions", default=os.path.join(HERE, "regressions", "gen"))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    cc = a.cc if a.cc and shutil.which(a.cc) else None
    if cc and not a.fast_include:
        ap.error("compiling the outputs needs --fast-include (or TSHEAP_FAST_INCLUDE), or --cc ''")
    global FAST_INCLUDE
    FAST_INCLUDE = a.fast_include

    seeds = read_seeds()
    rng = random.Random(a.seed)
    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    passed = failed = replay_failed = 0
    known = {}          # signature -> [regression id, hits in the campaign]
    work = tempfile.mkdtemp(prefix="tsheap-genfuzz.")
    try:
        jobs = []
        for path in sorted(glob.glob(os.path.join(a.regressions, "*"))):
            with open(path, "rb") as f:
                jobs.append(("replay " + os.path.relpath(path, ROOT), f.read(), os.path.basename(path).split(".")[0]))
        replays = len(jobs)
        for i in range(a.iterations):
            # the real spec half the time: mutations of a valid spec reach the emitters
            r = rng.random()
            if r < 0.4:
                name, data = seeds[0]
            elif r < 0.55:
                name, data = seeds[1]
            elif r < 0.75:
                name, data = rng.choice([x for x in seeds if "/edge/" in x[0]] or seeds)
            else:
                name, data = rng.choice(seeds)
            data, how = mutate(rng, data, seeds)
            jobs.append(("iteration %d: %s + %s" % (i, name, "+".join(how)), data, None))
        for n, (label, data, rid) in enumerate(jobs):
            spec = os.path.join(work, "m.spec.lua")
            with open(spec, "wb") as f:
                f.write(data)
            nlines = data.count(b"\n") + 1
            outcome, detail = judge(a.lua, "m.spec.lua", nlines, work, cc)
            if n >= replays:
                counts[outcome] += 1
            if outcome in ("valid", "error"):
                passed += 1
                if a.verbose:
                    print("%s: %s: %s" % (label, outcome, detail))
                continue
            sig = signature(outcome, detail)
            if rid is not None:
                replay_failed += 1
                known.setdefault(sig, [rid, 0])
            elif sig in known:
                known[sig][1] += 1
                if a.verbose:
                    print("%s: known bug %s (%s)" % (label, known[sig][0], sig))
                continue
            failed += 1
            print("FAIL: %s: %s [%s]: %s" % (label, outcome, sig, detail.rstrip()))
            if a.save and rid is None:
                os.makedirs(a.save, exist_ok=True)
                dest = os.path.join(a.save, "gen-%s-%d.spec.lua" % (outcome, n - replays))
                with open(dest, "wb") as f:
                    f.write(data)
                print("      saved as %s" % dest)
            if rid is None:
                known[sig] = ["new", 0]     # report each new signature once
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for sig, (rid, hits) in sorted(known.items()):
        if hits:
            print("gen: %d more iteration(s) hit %s (%s)" % (hits, sig, "a new bug, reported above" if rid == "new"
                                                               else "known bug " + rid + ", still failing"))
    print("gen: %d replays (%d failing); %d iterations (seed %d): %s; C compiler: %s" % (
        replays, replay_failed, a.iterations, a.seed, ", ".join("%d %s" % (counts[k], k) for k in SUMMARY_KEYS),
        cc or "none"))
    print("gen-result: replays_passed=%d replays_failed=%d new_failures=%d" % (
        replays - replay_failed, replay_failed, failed - replay_failed))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
