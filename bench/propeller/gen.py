#!/usr/bin/env python3
"""Generate a no-op DAG twice: a flytec spec (every node a raw-container task running /bin/true as an argv) and a
Makefile and a build.ninja with the same nodes, the same dependencies and the same command, for `make -j2` and
`ninja -j2` (no node has an output file, so both run every command on every run).

  gen.py SHAPE N OUTDIR [SEED]     SHAPE: chain | fanout | random

Writes OUTDIR/SHAPE-N.yaml, OUTDIR/SHAPE-N.mk and OUTDIR/SHAPE-N.ninja. Deterministic for a given (shape, n, seed).
- chain:  n0 -> n1 -> ... -> n(N-1)
- fanout: n0 -> {n1 .. n(N-2)} -> n(N-1)
- random: node i (i > 0) depends on up to 3 distinct random earlier nodes (one of them i-1 half of the time,
          so the DAG has both long paths and width).
"""
import os
import random
import sys


def deps_of(shape, n, rnd):
    deps = []
    for i in range(n):
        if i == 0:
            deps.append([])
        elif shape == "chain":
            deps.append([i - 1])
        elif shape == "fanout":
            deps.append([0] if i < n - 1 else list(range(1, n - 1)) or [0])
        elif shape == "random":
            k = rnd.randint(1, min(3, i))
            ups = set(rnd.sample(range(i), k))
            if rnd.random() < 0.5:
                ups.add(i - 1)
            deps.append(sorted(ups))
        else:
            sys.exit("shape is chain, fanout or random")
    return deps


def main():
    shape, n, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    deps = deps_of(shape, n, random.Random(seed))
    base = os.path.join(outdir, "%s-%d" % (shape, n))
    with open(base + ".yaml", "w") as y:
        y.write("tasks:\n")
        y.write("  - name: noop\n    type: raw-container\n")
        y.write("    container: {image: debian:12-slim, command: [/bin/true]}\n")
        y.write("workflows:\n  - name: bench\n    nodes:\n")
        for i, ups in enumerate(deps):
            y.write("      - id: n%d\n        task: noop\n" % i)
            if ups:
                y.write("        after: [%s]\n" % ", ".join("n%d" % u for u in ups))
    with open(base + ".mk", "w") as m:
        m.write("# %s, %d nodes: the same DAG and commands as %s-%d.yaml\n" % (shape, n, shape, n))
        m.write(".PHONY: all %s\n" % " ".join("n%d" % i for i in range(n)))
        sinks = set(range(n)) - {u for ups in deps for u in ups}
        m.write("all: %s\n" % " ".join("n%d" % i for i in sorted(sinks)))
        for i, ups in enumerate(deps):
            m.write("n%d: %s\n\t@/bin/true\n" % (i, " ".join("n%d" % u for u in ups)))
    with open(base + ".ninja", "w") as nj:
        nj.write("# %s, %d nodes: the same DAG and commands as %s-%d.yaml\n" % (shape, n, shape, n))
        nj.write("rule run\n  command = /bin/true\n")
        for i, ups in enumerate(deps):
            nj.write("build n%d: run%s\n" % (i, (" | " + " ".join("n%d" % u for u in ups)) if ups else ""))
        nj.write("default %s\n" % " ".join("n%d" % i for i in sorted(sinks)))


if __name__ == "__main__":
    main()
