#!/usr/bin/env python3
"""A synthetic PDB for the compressed-transfer measurement (compress.sh).

Not a valid PDB: an MSF 7.00 header, then 4 KiB pages shaped like the
streams a large PDB is mostly made of (CodeView symbol records with
mangled C++ names, type records, line tables of small deltas, and a
zero-filled page now and then), from a fixed seed, so every run measures
the same bytes. Usage: gen_pdb.py OUT MIB
"""
import random
import struct
import sys

PAGE = 4096


def names(rng, n):
    parts = ["Get", "Set", "Create", "Destroy", "Update", "Render", "Parse",
             "Buffer", "Texture", "Node", "Manager", "Context", "Stream",
             "Allocator", "Vector", "Map", "String", "Handle", "Event",
             "Queue", "Thread", "Lock", "Config", "Layout", "Widget"]
    out = []
    for _ in range(n):
        cls = "".join(rng.choice(parts) for _ in range(rng.randint(1, 3)))
        fn = "".join(rng.choice(parts) for _ in range(rng.randint(1, 3)))
        ns = rng.choice(["mozilla", "gfx", "dom", "js", "net", "ipc", "std"])
        out.append(("?%s@%s@%s@@QEAA%s@Z" % (
            fn, cls, ns, rng.choice(["XXZ", "HPEAX", "_NAEBV1", "PEAXI"])))
            .encode())
    return out


def symbol_page(rng, vocab):
    out = bytearray()
    while len(out) < PAGE:
        name = rng.choice(vocab)
        rec = struct.pack("<HHIIHI", 0x110F, len(name) + 16,
                          rng.getrandbits(32), rng.randint(0, 1 << 22),
                          rng.randint(1, 4), rng.randint(0x1000, 0x80000))
        out += rec + name + b"\0"
    return out[:PAGE]


def type_page(rng):
    out = bytearray()
    while len(out) < PAGE:
        out += struct.pack("<HHIII", 0x1203, 14, rng.randint(0x1000, 0x40000),
                           rng.choice([0, 8, 16, 24, 32]), rng.randint(0, 3))
    return out[:PAGE]


def line_page(rng):
    out = bytearray()
    off, line = rng.randint(0, 1 << 20), rng.randint(1, 5000)
    while len(out) < PAGE:
        off += rng.randint(1, 24)
        line += rng.randint(0, 3)
        out += struct.pack("<II", off, line | 0x80000000)
    return out[:PAGE]


def main():
    out, mib = sys.argv[1], int(sys.argv[2])
    rng = random.Random(20261127)
    vocab = names(rng, 20000)
    with open(out, "wb") as f:
        head = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0"
        f.write(head + b"\0" * (PAGE - len(head)))
        for i in range(mib * 256 - 1):
            k = rng.random()
            if k < 0.55:
                f.write(symbol_page(rng, vocab))
            elif k < 0.80:
                f.write(type_page(rng))
            elif k < 0.95:
                f.write(line_page(rng))
            else:
                f.write(b"\0" * PAGE)


if __name__ == "__main__":
    main()
