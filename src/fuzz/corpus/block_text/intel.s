.intel_syntax noprefix
add rax, rbx
vpaddd zmm3 {k1}, zmm2, zmm1
