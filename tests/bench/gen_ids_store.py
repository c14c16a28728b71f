#!/usr/bin/env python3
"""A synthetic store for bench_index (docs/store.md, "Memory").

gen_ids_store.py ROOT NAMES BUILDS writes NAMES name directories with
BUILDS builds each, in the mix symsrv add makes of a cross-platform
product: per build, an ELF executable (<name>.so/elf-buildid-<40 hex>/),
its Breakpad file (<name>.so/<debug id>/<name>.so.sym) and a PDB
(<name>.pdb/<GUID><age>/<name>.pdb). Files are empty: the index reads
names only.
"""
import os
import random
import sys


def touch(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").close()


def main():
    root, names, builds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(1)
    for i in range(names):
        so = "libmodule%05d.so" % i
        pdb = "module%05d.pdb" % i
        for _ in range(builds):
            bid = "%040x" % rnd.getrandbits(160)
            guid = "%032X" % rnd.getrandbits(128)
            touch(os.path.join(root, so, "elf-buildid-" + bid, so))
            touch(os.path.join(root, so, guid + "0", so + ".sym"))
            touch(os.path.join(root, pdb, guid + "1", pdb))


if __name__ == "__main__":
    main()
