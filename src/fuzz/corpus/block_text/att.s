addq %rbx, %rax
imulq %rcx, %rax

lock xaddl %ecx, (%rsp)
jne 1b
