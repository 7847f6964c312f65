#!/usr/bin/env python3
"""Extracts the x86-64 inputs of LLVM 19's own llvm-mca tests for our parity test.

LLVM's test suite is not in Debian's binary packages; its source package is,
so `make test` fetches it with apt (the version of the installed llvm-19, so
the inputs are those of the llvm-mca-19 we compare with) and runs:

    tools/extract_llvm_mca_tests.py OUT_DIR            # apt-get source into a temp dir (adds deb-src if needed)
    tools/extract_llvm_mca_tests.py OUT_DIR SRC_DIR    # an unpacked llvm-toolchain-19 / llvm-project tree

writes OUT_DIR/x86/*.s: one file per distinct input of
llvm/test/tools/llvm-mca/X86/**.s (CHECK lines and comments dropped; many CPU
directories share an input), headed by where it comes from and the CPUs its
RUN lines simulate it on. An input with LLVM-MCA-BEGIN/END markers keeps only
its regions, one block each (blank-line separated, as our assembly reader
splits blocks). Left out, and listed in OUT_DIR/README.md: tests
that expect llvm-mca to fail (`not llvm-mca`), 32-bit-only tests (i686), and
overlapping or unbalanced regions. Deterministic: the same tree gives the same
bytes.
"""
import collections
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

TESTS = "llvm/test/tools/llvm-mca/X86"
DEB_SRC = "/etc/apt/sources.list.d/surrogate-deb-src.sources"


def apt(args, **kw):
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    return subprocess.run(sudo + args, **kw)


def source_tree(argv):
    if len(argv) > 2:
        return argv[2], None
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "llvm-19"], capture_output=True, text=True,
                             check=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="llvm-src-")
    get = ["apt-get", "source", "--download-only", "-qq", "-o", "APT::Sandbox::User=root", "llvm-toolchain-19=" + version]
    if apt(get, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        # No deb-src entry: the binary entries' archives, for sources.
        if os.path.exists("/etc/apt/sources.list.d/debian.sources"):
            with open("/etc/apt/sources.list.d/debian.sources") as f:
                src, path = f.read().replace("Types: deb\n", "Types: deb-src\n"), DEB_SRC
        else:
            with open("/etc/apt/sources.list") as f:
                src = "".join("deb-src " + l[4:] for l in f if l.startswith("deb "))
            path = DEB_SRC.replace(".sources", ".list")
        apt(["tee", path], input=src, text=True, stdout=subprocess.DEVNULL, check=True)
        apt(["apt-get", "update", "-qq"], check=True)
        apt(get, cwd=tmp, stdout=subprocess.DEVNULL, check=True)
    tarball = glob.glob(os.path.join(tmp, "llvm-toolchain-19_*.orig.tar.xz"))[0]
    subprocess.run(["tar", "-xJf", tarball, "--wildcards", "*/" + TESTS + "/*", "*/LICENSE.TXT"], cwd=tmp, check=True)
    dirs = [d for d in glob.glob(os.path.join(tmp, "llvm-toolchain-19*")) if os.path.isdir(d)]
    return dirs[0], tarball


def regions(lines):
    """The file's code as blocks: [(name, [lines])], or None when markers overlap."""
    if not any("LLVM-MCA-BEGIN" in l for l in lines):
        code = [l for l in lines if not l.lstrip().startswith("#")]
        return [(None, code)]
    out, current = [], None
    for l in lines:
        s = l.strip()
        if s.startswith("#") and "LLVM-MCA-BEGIN" in s:
            if current is not None:
                return None
            current = (s.split("LLVM-MCA-BEGIN", 1)[1].strip() or str(len(out)), [])
        elif s.startswith("#") and "LLVM-MCA-END" in s:
            if current is None:
                return None
            out.append(current)
            current = None
        elif s.startswith("#"):
            continue
        elif current is not None:
            current[1].append(l)
        elif s.startswith("."):  # directives before the regions (e.g. .intel_syntax) apply to them
            out.append((".", [l]))
    return None if current is not None else out


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: extract_llvm_mca_tests.py OUT_DIR [LLVM_SOURCE_DIR]")
    out_dir = argv[1]
    tree, tarball = source_tree(argv)
    root = os.path.join(tree, TESTS)
    version = "19"
    m = re.search(r"llvm-toolchain-19_([0-9.]+)", tree)
    if m:
        version = m.group(1)
    inputs = collections.OrderedDict()  # body -> {"paths": [...], "cpus": set}
    left_out = []
    for path in sorted(glob.glob(os.path.join(root, "**", "*.s"), recursive=True)):
        rel = os.path.relpath(path, root)
        text = open(path, encoding="utf-8", errors="replace").read().replace("\r\n", "\n")
        runs = re.findall(r"RUN:(.*)", text)
        if not runs or all("not llvm-mca" in r or "llvm-mca" not in r for r in runs):
            left_out.append((rel, "expects llvm-mca to fail, or does not run it"))
            continue
        runs = [r for r in runs if "llvm-mca" in r and "not llvm-mca" not in r]
        if all("i686" in r or "i386" in r for r in runs):
            left_out.append((rel, "32-bit only"))
            continue
        cpus = set()
        for r in runs:
            if "i686" in r or "i386" in r:
                continue
            found = re.findall(r"-mcpu=([A-Za-z0-9_.-]+)", r)
            cpus.update(found if found else ["generic"])
        lines = [l.rstrip() for l in text.split("\n") if l.strip() and not l.lstrip().startswith(("//", ";"))]
        blocks = regions(lines)
        if blocks is None:
            left_out.append((rel, "overlapping or unbalanced LLVM-MCA-BEGIN/END regions"))
            continue
        directives = [b for n, b in blocks if n == "."]
        body = []
        for n, b in blocks:
            if n == "." or not b:
                continue
            head = [d[0] for d in directives]
            body.append("\n".join(head + (["# LLVM-MCA-BEGIN " + n] if n else []) + b +
                                  (["# LLVM-MCA-END"] if n else [])))
        if not body:
            left_out.append((rel, "no code"))
            continue
        key = "\n\n".join(body)
        entry = inputs.setdefault(key, {"paths": [], "cpus": set()})
        entry["paths"].append(rel)
        entry["cpus"] |= cpus

    x86 = os.path.join(out_dir, "x86")
    os.makedirs(x86, exist_ok=True)
    for old in glob.glob(os.path.join(x86, "*.s")):
        os.remove(old)
    for body, entry in inputs.items():
        name = entry["paths"][0].replace("/", "-")
        with open(os.path.join(x86, name), "w") as f:
            f.write("# LLVM %s %s/%s (Apache-2.0 WITH LLVM-exception, see ../LICENSE.TXT)\n" %
                    (version, TESTS, entry["paths"][0]))
            for other in entry["paths"][1:]:
                f.write("# same input: %s\n" % other)
            f.write("# cpus: %s\n\n" % " ".join(sorted(entry["cpus"])))
            f.write(body + "\n")
    license_path = os.path.join(tree, "llvm", "LICENSE.TXT")
    if os.path.exists(license_path):
        with open(license_path) as src, open(os.path.join(out_dir, "LICENSE.TXT"), "w") as dst:
            dst.write(src.read())
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("# LLVM %s's llvm-mca x86 test inputs\n\n" % version)
        f.write("Made by `tools/extract_llvm_mca_tests.py` from Debian's `llvm-toolchain-19` source package "
                "(`%s`): %d test files, %d distinct inputs in `x86/`. `Parity.EveryStraightLineInputOfLlvmsOwnMcaTests` "
                "simulates each straight-line input on every CPU its RUN lines name and compares the total cycles "
                "with llvm-mca-19's. License: Apache-2.0 WITH LLVM-exception (`LICENSE.TXT`).\n\n" %
                (os.path.basename(tarball) if tarball else "unpacked tree",
                 sum(len(e["paths"]) for e in inputs.values()) + len(left_out), len(inputs)))
        f.write("Left out (%d):\n\n" % len(left_out))
        for rel, why in left_out:
            f.write("- `%s`: %s\n" % (rel, why))
    if tarball:
        shutil.rmtree(os.path.dirname(tarball), ignore_errors=True)
    print("%d inputs from %d files, %d left out" % (len(inputs), sum(len(e["paths"]) for e in inputs.values()),
                                                    len(left_out)))


if __name__ == "__main__":
    main(sys.argv)
