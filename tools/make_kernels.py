#!/usr/bin/env python3
"""Hand-written-style loop bodies for training and testing (issue 14).

Compiler-generated BHive blocks rarely hold loop-carried dependency chains,
so a surrogate trained on them under-predicts them ~3-9x (imul chain, FMA
chain, pointer chasing, division). This writes AT&T assembly, one block per
paragraph, of the kinds a performance engineer writes by hand:

  - a dependency chain: 1-4 instructions that read and write one register
    (integer ALU, multiply, shifts, bit counts, CRC, divisions, loads
    through the register: pointer chasing, scalar and vector floating point,
    FMA), carried from one iteration to the next;
  - the same instructions independent (each writes its own register), the
    throughput-bound twin of a chain;
  - a chain with 1-6 independent instructions around it;
  - a stream: an accumulator fed by load-op instructions indexed by a
    counter (`addq (%rdi,%rcx,8), %rax; incq %rcx`: the register source is
    read after the load, so only the op is on the chain), optionally with a
    store of the result and a compare, as in reductions, checksums (crc32),
    copies and multi-precision adds; or a scan that only compares memory
    (`cmpb $0, (%rdi,%rax); leaq 1(%rax), %rax`: strlen, memchr);
  - gathers (mask reset each iteration) and exchanges.

  tools/make_kernels.py --count 20000 --seed 1 -o kernels.s

Deterministic for a seed. Every line assembles with LLVM 19 (llvm-mc); the
blocks are labelled by `surrogate simulate` / `label` like any input.
"""
import argparse
import random

GPR = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
GPR32 = {"rax": "eax", "rbx": "ebx", "rcx": "ecx", "rdx": "edx", "rsi": "esi", "rdi": "edi", "r8": "r8d",
         "r9": "r9d", "r10": "r10d", "r11": "r11d", "r12": "r12d", "r13": "r13d", "r14": "r14d", "r15": "r15d"}
VEC = list(range(16))

# Integer ops: (template, chain-able). {d} is read and written, {s} read only.
INT_RMW = ["addq %{s}, %{d}", "subq %{s}, %{d}", "andq %{s}, %{d}", "orq %{s}, %{d}", "imulq %{s}, %{d}",
           "adcq %{s}, %{d}", "sbbq %{s}, %{d}", "imulq $7, %{s}, %{d}", "shlq $3, %{d}", "rorq $5, %{d}",
           "sarq %cl, %{d}", "negq %{d}", "notq %{d}", "incq %{d}", "decq %{d}", "bswapq %{d}",
           "leaq 8(%{d},%{s}), %{d}", "leaq (%{d},%{d},4), %{d}", "popcntq %{d}, %{d}", "lzcntq %{d}, %{d}",
           "tzcntq %{d}, %{d}", "crc32q %{s}, %{d}", "addl %{s32}, %{d32}", "imull %{s32}, %{d32}",
           "xaddq %{s}, %{d}", "cmovneq %{s}, %{d}", "adoxq %{s}, %{d}", "mulxq %{s}, %{s}, %{d}",
           "rolq $1, %{d}", "btcq %{s}, %{d}", "shldq $4, %{s}, %{d}", "xchgq %{s}, %{d}",
           "xchgl %{s32}, %{d32}"]
# Loads through the chain register: pointer chasing.
LOADS = ["movq {o}(%{d}), %{d}", "movq (%{d},%{s},8), %{d}", "addq {o}(%{d}), %{d}", "movl {o}(%{d}), %{d32}"]
# Vector ops on register {d} (read and written) with sources {a}, {b}.
VEC_OPS = ["vaddps %{v}{a}, %{v}{d}, %{v}{d}", "vmulps %{v}{a}, %{v}{d}, %{v}{d}",
           "vfmadd231ps %{v}{a}, %{v}{b}, %{v}{d}", "vfmadd213pd %{v}{a}, %{v}{b}, %{v}{d}",
           "vaddpd %{v}{a}, %{v}{d}, %{v}{d}", "vmulpd %{v}{a}, %{v}{d}, %{v}{d}", "vdivps %{v}{a}, %{v}{d}, %{v}{d}",
           "vsqrtps %{v}{d}, %{v}{d}", "vpaddd %{v}{a}, %{v}{d}, %{v}{d}", "vpmulld %{v}{a}, %{v}{d}, %{v}{d}",
           "vpxor %{v}{a}, %{v}{d}, %{v}{d}", "vpshufb %{v}{a}, %{v}{d}, %{v}{d}", "vmaxps %{v}{a}, %{v}{d}, %{v}{d}",
           "vblendvps %{v}{a}, %{v}{b}, %{v}{d}, %{v}{d}", "vpermilps $27, %{v}{d}, %{v}{d}"]
# Gathers into {d} (merged: read and written) with index {a}; the mask {b}
# is consumed, so it is set again first, as every gather loop does.
GATHERS = ["vpcmpeqd %{v}{b}, %{v}{b}, %{v}{b}\nvpgatherdd %{v}{b}, (%rdi,%{v}{a},4), %{v}{d}",
           "vpcmpeqd %{v}{b}, %{v}{b}, %{v}{b}\nvgatherdps %{v}{b}, (%rdi,%{v}{a},4), %{v}{d}",
           "vpcmpeqd %{v}{b}, %{v}{b}, %{v}{b}\nvpgatherqq %{v}{b}, (%rdi,%{v}{a},8), %{v}{d}",
           "vpcmpeqd %{v}{b}, %{v}{b}, %{v}{b}\nvgatherdpd %{v}{b}, (%rdi,%xmm{a},8), %{v}{d}"]
# Load-op accumulation through {d} from memory indexed by {i} ({p}: base).
STREAM_OPS = ["addq {o}(%{p},%{i},8), %{d}", "subq {o}(%{p},%{i},8), %{d}", "xorq {o}(%{p},%{i},8), %{d}",
              "andq {o}(%{p},%{i},8), %{d}", "imulq {o}(%{p},%{i},8), %{d}", "adcq {o}(%{p},%{i},8), %{d}",
              "orq {o}(%{p},%{i},8), %{d}", "addl {o}(%{p},%{i},4), %{d32}", "crc32q {o}(%{p},%{i},8), %{d}",
              "crc32l {o}(%{p},%{i},4), %{d32}", "crc32b {o}(%{p},%{i}), %{d32}"]
STREAM_FP = ["addsd {o}(%{p},%{i},8), %xmm{x}", "mulsd {o}(%{p},%{i},8), %xmm{x}",
             "vaddps {o}(%{p},%{i},4), %ymm{x}, %ymm{x}", "vmulpd {o}(%{p},%{i},8), %ymm{x}, %ymm{x}",
             "vfmadd231ps {o}(%{p},%{i},4), %ymm{y}, %ymm{x}", "vpaddd {o}(%{p},%{i},4), %ymm{x}, %ymm{x}",
             "maxps {o}(%{p},%{i},4), %xmm{x}", "vfmadd231sd {o}(%{p},%{i},8), %xmm{y}, %xmm{x}"]
# Compares of memory only (flags written, no register carried but the index).
STREAM_SCAN = ["cmpb $0, {o}(%{p},%{i})", "cmpq %{d}, {o}(%{p},%{i},8)", "testb $1, {o}(%{p},%{i})",
               "cmpl $7, {o}(%{p},%{i},4)", "cmpw %{d16}, {o}(%{p},%{i},2)"]
GPR16 = {r: (r + "w" if r[1].isdigit() else r[1:]) for r in GPR}
SCALAR_FP = ["addsd %xmm{a}, %xmm{d}", "mulsd %xmm{a}, %xmm{d}", "divsd %xmm{a}, %xmm{d}", "sqrtsd %xmm{d}, %xmm{d}",
             "vfmadd231sd %xmm{a}, %xmm{b}, %xmm{d}", "cvtsi2sd %{s}, %xmm{d}", "addss %xmm{a}, %xmm{d}",
             "divss %xmm{a}, %xmm{d}", "minsd %xmm{a}, %xmm{d}"]
DIVISIONS = ["divq %{s}", "idivq %{s}", "divl %{s32}", "mulq %{s}", "imulq %{s}"]  # rax (and rdx) chain


def gpr_op(rng, template, d, s):
    return template.format(d=d, s=s, d32=GPR32[d], s32=GPR32[s], o=rng.choice([0, 8, 16, 40, 64, 128]))


def stream(rng):
    """An accumulator fed from memory indexed by a counter, maybe stored, then the counter stepped."""
    i = rng.choice(["rcx", "rcx", "rax", "rsi", "rdx", "r8"])
    d, p, q, n = rng.sample([r for r in GPR if r != i], 4)
    x, y = rng.sample(VEC, 2)
    o = rng.choice([0, 8, 16, 64])
    body = []
    if rng.random() < 0.3:  # a plain load first: a copy or a multi-precision add
        body.append("movq {o}(%{q},%{i},8), %{d}".format(o=o, q=q, d=d, i=i))
    table = rng.choices([STREAM_OPS, STREAM_FP, STREAM_SCAN], weights=[5, 4, 2])[0]
    for _ in range(rng.randint(1, 3)):
        body.append(rng.choice(table).format(o=o, p=p, d=d, d32=GPR32[d], d16=GPR16[d], x=x, y=y, i=i))
    if rng.random() < 0.4 and table is not STREAM_SCAN:
        body.append("movq %{d}, (%{q},%{i},8)".format(d=d, q=q, i=i) if table is STREAM_OPS
                    else "vmovups %ymm{x}, (%{q},%{i},4)".format(x=x, q=q, i=i))
    body.append(rng.choice(["incq %{i}", "addq $8, %{i}", "addq $1, %{i}", "leaq 1(%{i}), %{i}"]).format(i=i))
    if rng.random() < 0.4:
        body.append("cmpq %{n}, %{i}".format(n=n, i=i))
    return body


def chain(rng, length):
    """Instructions carrying one register around the loop; the registers they use."""
    kind = rng.choices(["int", "load", "vec", "fp", "div", "gather"], weights=[5, 2, 4, 2, 1, 1])[0]
    if kind == "div":
        s = rng.choice([r for r in GPR if r not in ("rax", "rdx")])
        ops = [rng.choice(DIVISIONS).format(s=s, s32=GPR32[s]) for _ in range(length)]
        return ops, {"rax", "rdx", s}, set()
    if kind in ("int", "load"):
        d = rng.choice([r for r in GPR if r != "rcx"])
        s = rng.choice([r for r in GPR if r not in (d, "rcx")])
        table = INT_RMW if kind == "int" else LOADS
        return [gpr_op(rng, rng.choice(table), d, s) for _ in range(length)], {d, s, "rcx"}, set()
    d, a, b = rng.sample(VEC, 3)
    if kind == "fp":
        s = rng.choice(GPR)
        return [rng.choice(SCALAR_FP).format(d=d, a=a, b=b, s=s) for _ in range(length)], {s}, {d, a, b}
    v = rng.choice(["xmm", "ymm"])
    if kind == "gather":
        return [rng.choice(GATHERS).format(v=v, d=d, a=a, b=b)], {"rdi"}, {d, a, b}
    return [rng.choice(VEC_OPS).format(v=v, d=d, a=a, b=b) for _ in range(length)], set(), {d, a, b}


def independent(rng, used_gpr, used_vec, count):
    """count instructions, each writing a register of its own (none of the chain's)."""
    free_gpr = [r for r in GPR if r not in used_gpr and r != "rcx"]
    free_vec = [v for v in VEC if v not in used_vec]
    out = []
    for _ in range(count):
        if rng.random() < 0.5 and len(free_gpr) >= 2:
            d = free_gpr.pop(rng.randrange(len(free_gpr)))
            s = rng.choice([r for r in GPR if r != d])
            template = rng.choice(INT_RMW + LOADS)
            if "{d}" in template.split(",")[0] and "(" in template.split(",")[0] and template.startswith("mov"):
                template = "movq {o}(%{s}), %{d}"  # a load from another register: no chain
            out.append(gpr_op(rng, template, d, s))
        elif len(free_vec) >= 1:
            d = free_vec.pop(rng.randrange(len(free_vec)))
            a, b = rng.sample([v for v in VEC if v != d], 2)
            v = rng.choice(["xmm", "ymm"])
            # the destination is written from sources only: no chain through it
            out.append(rng.choice(["vaddps %{v}{a}, %{v}{b}, %{v}{d}", "vmulps %{v}{a}, %{v}{b}, %{v}{d}",
                                   "vpaddd %{v}{a}, %{v}{b}, %{v}{d}", "vdivps %{v}{a}, %{v}{b}, %{v}{d}",
                                   "vmovaps %{v}{a}, %{v}{d}"]).format(v=v, a=a, b=b, d=d))
    return out


def kernel(rng):
    shape = rng.choices(["chain", "independent", "mixed", "stream"], weights=[3, 2, 4, 2])[0]
    if shape == "stream":
        return stream(rng)
    length = rng.randint(1, 4)
    ops, used_gpr, used_vec = chain(rng, length)
    if shape == "chain":
        return ops
    if shape == "independent":
        # The same instructions, each on registers of its own: break the chain.
        return independent(rng, set(), set(), rng.randint(1, 6))
    fill = independent(rng, used_gpr, used_vec, rng.randint(1, 6))
    body = list(ops)
    for f in fill:
        body.insert(rng.randint(0, len(body)), f)
    return body


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    rng = random.Random(a.seed)
    seen = set()
    with open(a.output, "w") as out:
        while len(seen) < a.count:
            text = "\n".join(kernel(rng))
            if text in seen:
                continue
            seen.add(text)
            out.write(text + "\n\n")


if __name__ == "__main__":
    main()
