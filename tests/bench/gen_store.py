#!/usr/bin/env python3
"""Generate a synthetic symbol store for the symsrvd benchmark.

Layout (symstore / SSQP style):  <root>/<name>/<key>/<name>

Keys come in three flavours, chosen by the file name's extension:
  * PDB: 32 upper-case hex digits (GUID) + age in lower-case hex  (ntdll.pdb)
  * PE:  8 upper-case hex digits (TimeDateStamp) + SizeOfImage in
         lower-case hex                                           (app42.exe)
  * ELF: "elf-buildid-" + 40 lower-case hex digits (build id)     (libxul.so.dbg)

Everything is derived from one seeded PRNG, so the same seed and count give
byte-identical stores and identical path lists.

Outputs (in --lists):
  hits.txt        URL paths of every generated file, shuffled
  misses.txt      URL paths of the same shape that do not exist in the store
  hits_lower.txt  the hit paths lower-cased (not used by the default
                  scenarios: many keys are lower case already)
  hits_upper.txt  the hit paths upper-cased: every segment differs from the
                  stored spelling (the "hit-folded" scenario)

Only the Python standard library is used.
"""

import argparse
import os
import random
import shutil
import sys

GEN_VERSION = "1"

# Module names seen in real-world symbol stores.
REAL_NAMES = [
    "ntdll.pdb", "ntdll.dll", "kernel32.pdb", "kernel32.dll",
    "KernelBase.pdb", "KernelBase.dll", "user32.pdb", "gdi32.pdb",
    "combase.pdb", "ole32.pdb", "rpcrt4.pdb", "ucrtbase.pdb",
    "msvcp140.pdb", "vcruntime140.pdb", "d3d11.pdb", "dxgi.pdb",
    "chrome.dll", "chrome.dll.pdb", "chrome_child.dll", "chrome_child.dll.pdb",
    "chrome_elf.dll", "chrome.exe", "chrome.exe.pdb", "libGLESv2.dll",
    "xul.pdb", "xul.dll", "firefox.exe", "firefox.pdb", "mozglue.pdb",
    "nss3.pdb", "libxul.so.dbg", "libxul.so", "libmozgtk.so.dbg",
    "libc.so.6", "libc.so.6.debug", "libstdc++.so.6.debug", "ld-linux-x86-64.so.2",
    "libpthread.so.0.debug", "libglib-2.0.so.0.debug", "libgtk-3.so.0.debug",
    "wow64.pdb", "wow64cpu.pdb", "win32u.pdb", "clr.pdb", "coreclr.pdb",
    "mscorlib.pdb", "System.Private.CoreLib.pdb", "clrjit.pdb",
    "Qt5Core.pdb", "Qt5Gui.pdb", "Qt5Widgets.pdb", "steam_api64.pdb",
]

WORDS = [
    "foo", "bar", "core", "gfx", "net", "ui", "audio", "render", "media",
    "crypto", "zip", "json", "xml", "sql", "ipc", "gpu", "vk", "gl", "dx",
    "physics", "script", "input", "font", "image", "codec", "shell", "sync",
    "cache", "log", "base", "util", "proto", "http", "tls", "compress",
]

PDB_EXT = (".pdb",)
PE_EXT = (".dll", ".exe", ".sys")
ELF_EXT = (".so", ".so.dbg", ".debug", ".so.6", ".so.0.debug", ".so.2", ".so.6.debug")


def kind_of(name):
    low = name.lower()
    if low.endswith(PDB_EXT):
        return "pdb"
    if low.endswith(PE_EXT):
        return "pe"
    return "elf"


def make_name(rng, i):
    """A plausible module name; the index keeps generated names unique."""
    style = rng.randrange(7)
    w1 = rng.choice(WORDS)
    w2 = rng.choice(WORDS)
    if style == 0:
        return "lib%s%d.pdb" % (w1, i)
    if style == 1:
        return "app%d.exe" % i
    if style == 2:
        return "%s_%s%d.dll" % (w1, w2, i)
    if style == 3:
        return "lib%s%d.so.dbg" % (w1, i)
    if style == 4:
        return "%s%s%d.pdb" % (w1.capitalize(), w2.capitalize(), i)
    if style == 5:
        return "lib%s_%s%d.so" % (w1, w2, i)
    return "%s%d.sys" % (w1, i)


def make_key(rng, kind):
    if kind == "pdb":
        guid = "%032X" % rng.getrandbits(128)
        # Ages are usually small; a few are large enough to need hex letters.
        age = rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 5, 7, 10, 11, 15, 26, 33])
        return guid + format(age, "x")
    if kind == "pe":
        stamp = "%08X" % rng.randrange(0x40000000, 0x68000000)
        size_of_image = rng.randrange(0x1, 0x4000) * 0x1000
        return stamp + format(size_of_image, "x")
    return "elf-buildid-%040x" % rng.getrandbits(160)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="store root directory")
    ap.add_argument("--lists", required=True, help="directory for path lists")
    ap.add_argument("--count", type=int, default=10000, help="number of files")
    ap.add_argument("--misses", type=int, default=10000, help="number of miss paths")
    ap.add_argument("--names", type=int, default=1500,
                    help="number of distinct module names")
    ap.add_argument("--min-size", type=int, default=1024)
    ap.add_argument("--max-size", type=int, default=64 * 1024)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--keep", action="append", default=[],
                    help="top-level entry of ROOT to leave alone (repeatable)")
    args = ap.parse_args()

    stamp_text = "gen=%s seed=%d count=%d misses=%d names=%d size=%d-%d\n" % (
        GEN_VERSION, args.seed, args.count, args.misses, args.names,
        args.min_size, args.max_size)
    stamp_path = os.path.join(args.lists, "store.stamp")
    lists_ok = all(os.path.exists(os.path.join(args.lists, f))
                   for f in ("hits.txt", "misses.txt", "hits_lower.txt",
                             "hits_upper.txt"))
    try:
        with open(stamp_path) as fh:
            if fh.read() == stamp_text and lists_ok:
                print("store up to date (%s)" % stamp_text.strip(), file=sys.stderr)
                return 0
    except FileNotFoundError:
        pass

    os.makedirs(args.root, exist_ok=True)
    os.makedirs(args.lists, exist_ok=True)
    # Remove a previous (different) store, but keep e.g. the cached big file.
    for entry in os.listdir(args.root):
        if entry in args.keep:
            continue
        path = os.path.join(args.root, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)

    rng = random.Random(args.seed)

    names = []
    seen = set()
    for n in REAL_NAMES:
        if len(names) < args.names and n not in seen:
            names.append(n)
            seen.add(n)
    i = 1
    while len(names) < args.names:
        n = make_name(rng, i)
        i += 1
        if n not in seen and n not in args.keep:
            names.append(n)
            seen.add(n)

    # Popular modules get many versions: weight names with a skewed
    # distribution so a few names have dozens of keys, most have a handful.
    weights = [1.0 / (1 + (k % 97)) ** 0.5 for k in range(len(names))]

    hits = []
    existing = set()
    total_bytes = 0
    while len(hits) < args.count:
        name = rng.choices(names, weights)[0]
        key = make_key(rng, kind_of(name))
        rel = (name, key)
        if rel in existing:
            continue
        existing.add(rel)
        d = os.path.join(args.root, name, key)
        os.makedirs(d, exist_ok=True)
        size = rng.randint(args.min_size, args.max_size)
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(rng.randbytes(size))
        total_bytes += size
        hits.append("/%s/%s/%s" % (name, key, name))

    misses = []
    miss_set = set()
    while len(misses) < args.misses:
        if rng.random() < 0.7:
            # Known module, unknown version: the common miss in practice.
            name = rng.choice(names)
        else:
            name = make_name(rng, 100000 + len(misses))
        key = make_key(rng, kind_of(name))
        if (name, key) in existing or (name, key) in miss_set:
            continue
        miss_set.add((name, key))
        misses.append("/%s/%s/%s" % (name, key, name))

    rng.shuffle(hits)
    rng.shuffle(misses)

    def write_list(fname, items):
        tmp = os.path.join(args.lists, fname + ".tmp")
        with open(tmp, "w") as fh:
            fh.write("\n".join(items))
            fh.write("\n")
        os.replace(tmp, os.path.join(args.lists, fname))

    write_list("hits.txt", hits)
    write_list("misses.txt", misses)
    write_list("hits_lower.txt", [h.lower() for h in hits])
    # Every segment in another case than stored: symsrvd must fold them all.
    write_list("hits_upper.txt", [h.upper() for h in hits])

    with open(stamp_path, "w") as fh:  # written last: marks a complete store
        fh.write(stamp_text)
    print("generated %d files (%.1f MiB) under %d names, %d miss paths" % (
        len(hits), total_bytes / 1048576.0, len({h.split("/")[1] for h in hits}),
        len(misses)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
