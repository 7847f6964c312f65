.intel_syntax noprefix
.ascii "#"; add rax, ~~3
