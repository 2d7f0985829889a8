#!/usr/bin/env python3
"""Both objectives of a CSDP solution at full precision, from its solution file.

CSDP prints its objectives with 8 significant digits, which is too coarse to compare two solvers to 1e-7. Its
solution file holds the iterate in full: the first line is the SDPA primal vector x (CSDP's y), then the entries
"1 block i j value" of the SDPA slack (CSDP's Z) and "2 block i j value" of the SDPA dual matrix Y (CSDP's X).

Usage: csdp_objectives.py FILE.dat-s FILE.sol
Prints two numbers: c·x (the SDPA primal objective, CSDP's "dual objective") and <F0, Y> (the SDPA dual
objective, CSDP's "primal objective").
"""
import re
import sys


def numbers(line):
    return [t for t in re.split(r"[\s,{}()]+", line) if t]


def main(dat, sol):
    with open(dat) as f:
        lines = [l for l in f if not l.startswith(('"', "*")) and l.strip()]
    # The first lines may carry annotations after their numbers ("461 =mdim").
    mdim, nblocks = int(numbers(lines[0])[0]), int(numbers(lines[1])[0])
    tokens = [t for l in lines[3:] for t in numbers(l)]
    c = [float(t) for t in tokens[:mdim]]
    entries = tokens[mdim:]
    f0 = {}
    for k in range(0, len(entries) - 4, 5):
        mat, blk, i, j, v = entries[k : k + 5]
        if int(mat) == 0:
            i, j = sorted((int(i), int(j)))
            key = (int(blk), i, j)
            f0[key] = f0.get(key, 0.0) + float(v)
    with open(sol) as f:
        x = [float(t) for t in f.readline().split()]
        y = {}
        for line in f:
            parts = line.split()
            if len(parts) == 5 and parts[0] == "2":
                _, blk, i, j, v = parts
                i, j = sorted((int(i), int(j)))
                y[(int(blk), i, j)] = float(v)
    if len(x) != mdim:
        sys.exit(f"{sol}: {len(x)} values on the first line, the SDP has {mdim} variables")
    primal = sum(ci * xi for ci, xi in zip(c, x))
    dual = sum(v * y.get(key, 0.0) * (1.0 if key[1] == key[2] else 2.0) for key, v in f0.items())
    print(f"{primal:.12e} {dual:.12e}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
