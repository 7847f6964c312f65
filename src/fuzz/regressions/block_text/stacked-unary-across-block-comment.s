.intel_syntax noprefix
add rax, -/* x */not 3
