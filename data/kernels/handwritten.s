# Hand-written loop bodies: the kernels performance engineers write and study
# (issue 14's evaluation set). One block per paragraph, AT&T syntax; a
# block's loop-closing branch is left out (BHive's convention). Kept out of
# all training data: tools/make_training_set.sh drops these blocks.
# Evaluate: surrogate simulate -mcpu=CPU data/kernels/handwritten.s -o true.csv
#           surrogate predict --model MODEL data/kernels/handwritten.s -o pred.csv

# imul chain
imulq %rax, %rax

# add chain
addq %rax, %rax

# lea chain
leaq 1(%rax,%rax,2), %rax

# shift by cl chain
shlq %cl, %rax

# fma chain (ymm)
vfmadd231ps %ymm1, %ymm2, %ymm0

# vaddps chain
vaddps %ymm1, %ymm0, %ymm0

# vmulpd chain (xmm)
vmulpd %xmm1, %xmm0, %xmm0

# vpmulld chain
vpmulld %ymm1, %ymm0, %ymm0

# vpshufb chain
vpshufb %ymm1, %ymm0, %ymm0

# independent vmulps x3
vmulps %ymm1, %ymm2, %ymm3
vmulps %ymm4, %ymm5, %ymm6
vmulps %ymm7, %ymm8, %ymm9

# independent vpaddd x2
vpaddd %ymm0, %ymm1, %ymm2
vpaddd %ymm3, %ymm4, %ymm5

# 64-bit unsigned division
divq %rcx

# 32-bit signed division
idivl %ecx

# widening multiply
mulq %rcx

# scalar square root chain
sqrtsd %xmm0, %xmm0

# scalar division chain
divsd %xmm1, %xmm0

# vector division chain
vdivps %ymm1, %ymm0, %ymm0

# independent vector square roots
vsqrtps %ymm1, %ymm2
vsqrtps %ymm3, %ymm4

# pointer chasing
movq 8(%rdi), %rdi

# two-level pointer chasing
movq 16(%rdi), %rax
movq 40(%rax), %rdi

# linked-list sum
addq 8(%rdi), %rax
movq (%rdi), %rdi

# dot product step (one accumulator)
vmovups (%rsi,%rax,4), %ymm4
vfmadd231ps (%rdi,%rax,4), %ymm4, %ymm0
addq $8, %rax
cmpq %rdx, %rax

# dot product step (four accumulators)
vfmadd231ps (%rdi,%rax,4), %ymm8, %ymm0
vfmadd231ps 32(%rdi,%rax,4), %ymm8, %ymm1
vfmadd231ps 64(%rdi,%rax,4), %ymm8, %ymm2
vfmadd231ps 96(%rdi,%rax,4), %ymm8, %ymm3
addq $32, %rax

# saxpy step
vmovups (%rdi,%rax,4), %ymm1
vfmadd213ps (%rsi,%rax,4), %ymm0, %ymm1
vmovups %ymm1, (%rsi,%rax,4)
addq $8, %rax
cmpq %rcx, %rax

# scalar reduction (sum of doubles)
addsd (%rdi,%rax,8), %xmm0
incq %rax
cmpq %rsi, %rax

# prefix sum
addq (%rdi,%rcx,8), %rax
movq %rax, (%rsi,%rcx,8)
incq %rcx

# memcpy step (8 bytes)
movq (%rsi,%rax), %rcx
movq %rcx, (%rdi,%rax)
addq $8, %rax
cmpq %rdx, %rax

# memcpy step (32 bytes, AVX)
vmovdqu (%rsi,%rax), %ymm0
vmovdqu %ymm0, (%rdi,%rax)
addq $32, %rax
cmpq %rdx, %rax

# strlen step
cmpb $0, (%rdi,%rax)
leaq 1(%rax), %rax

# FNV-1a hash step
movzbl (%rdi,%rcx), %edx
xorq %rdx, %rax
imulq %rsi, %rax
incq %rcx

# murmur finaliser mix
movq %rax, %rcx
shrq $33, %rcx
xorq %rcx, %rax
imulq %rdx, %rax

# xorshift64 step
movq %rax, %rcx
shlq $13, %rcx
xorq %rcx, %rax
movq %rax, %rcx
shrq $7, %rcx
xorq %rcx, %rax
movq %rax, %rcx
shlq $17, %rcx
xorq %rcx, %rax

# crc32 over a buffer
crc32q (%rdi,%rax,8), %rcx
incq %rax

# popcount over a buffer
popcntq (%rdi,%rax,8), %rcx
addq %rcx, %rdx
incq %rax

# clear lowest set bit chain
blsrq %rax, %rax

# trailing-zero count chain
tzcntq %rax, %rax

# byte swap and rotate
bswapq %rax
rorq $8, %rax

# conditional move (min)
cmpq %rcx, %rax
cmovgq %rcx, %rax

# exchange
xchgq %rax, %rbx

# read-modify-write counter in memory
addq $1, (%rdi)

# byte histogram
movzbl (%rdi,%rax), %ecx
incl (%rsi,%rcx,4)
incq %rax

# bignum add with carry
movq (%rsi,%rcx,8), %rax
adcq (%rdx,%rcx,8), %rax
movq %rax, (%rdi,%rcx,8)
incq %rcx

# 64x64 multiply-accumulate (mulx, adc)
mulxq (%rsi), %rax, %rbx
addq %rax, %r8
adcq %rbx, %r9

# Horner polynomial step
vfmadd213sd %xmm2, %xmm1, %xmm0

# int-double round trip
cvtsi2sdq %rax, %xmm0
cvttsd2siq %xmm0, %rax

# gather
vpcmpeqd %ymm2, %ymm2, %ymm2
vpgatherdd %ymm2, (%rdi,%ymm1,4), %ymm0

# 4x4 transpose step (shuffles)
vunpcklps %xmm1, %xmm0, %xmm4
vunpckhps %xmm1, %xmm0, %xmm5
vunpcklps %xmm3, %xmm2, %xmm6
vunpckhps %xmm3, %xmm2, %xmm7
vmovlhps %xmm6, %xmm4, %xmm0
vmovhlps %xmm4, %xmm6, %xmm1

# sse independent adds
addps %xmm1, %xmm2
addps %xmm3, %xmm4
addps %xmm5, %xmm6
