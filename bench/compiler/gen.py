#!/usr/bin/env python3
"""Generate a flytec spec with one workflow of N nodes: chain, fanout (fan-out/fan-in) or random DAG.

Every node is a task node with typed bindings, so the compiler does its full work: resolution, type checks,
connections, cycle and reachability checks. Deterministic for a given (shape, n, seed).
With --ninja, the same DAG as a build.ninja (one edge per node, its inputs the nodes it reads), for comparing
with `ninja -n` (bench/compiler/run.sh).
"""
import random
import sys


def upstream(shape, n, i, rnd):
    """The nodes node i reads."""
    if i == 0:
        return []
    if shape == "chain":
        return [i - 1]
    if shape == "fanout":
        return [0] if i < n - 1 else list(range(1, n - 1))
    if shape == "random":
        return [rnd.randrange(0, i), rnd.randrange(0, i)]
    sys.exit("shape is chain, fanout or random")


def ninja(shape, n, rnd):
    out = sys.stdout
    out.write("rule run\n  command = touch $out\n")
    for i in range(n):
        ups = upstream(shape, n, i, rnd)
        out.write("build n%d: run%s\n" % (i, "".join(" n%d" % j for j in ups)))
    out.write("default n%d\n" % (n - 1))


def main():
    args = [a for a in sys.argv[1:] if a != "--ninja"]
    shape, n = args[0], int(args[1])
    seed = int(args[2]) if len(args) > 2 else 1
    rnd = random.Random(seed)
    out = sys.stdout
    if "--ninja" in sys.argv:
        return ninja(shape, n, rnd)
    out.write("tasks:\n")
    out.write("  - name: src\n    type: echo\n    inputs: {x: integer}\n    outputs: {x: integer}\n")
    out.write("  - name: add\n    type: echo\n    inputs: {a: integer, b: integer}\n    outputs: {x: integer}\n")
    out.write("  - name: join\n    type: echo\n    inputs: {xs: list<integer>}\n    outputs: {x: integer}\n")
    out.write("workflows:\n  - name: big\n    inputs: {seed: integer}\n")
    out.write("    outputs: {result: !ref n%d.x}\n    nodes:\n" % (n - 1))
    for i in range(n):
        out.write("      - id: n%d\n" % i)
        if i == 0:
            out.write("        task: src\n        inputs: {x: !ref inputs.seed}\n")
        elif shape == "chain":
            out.write("        task: add\n        inputs: {a: !ref n%d.x, b: %d}\n" % (i - 1, i))
        elif shape == "fanout":
            if i < n - 1:
                out.write("        task: add\n        inputs: {a: !ref n0.x, b: %d}\n" % i)
            else:
                refs = ", ".join("!ref n%d.x" % j for j in range(1, n - 1))
                out.write("        task: join\n        inputs:\n          xs: [%s]\n" % refs)
        elif shape == "random":
            a = rnd.randrange(0, i)
            b = rnd.randrange(0, i)
            out.write("        task: add\n        inputs: {a: !ref n%d.x, b: !ref n%d.x}\n" % (a, b))
        else:
            sys.exit("shape is chain, fanout or random")


if __name__ == "__main__":
    main()
