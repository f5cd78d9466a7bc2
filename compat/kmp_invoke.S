/*
 * kmp_invoke.S - calls a clang microtask with its argument count known only at run time:
 *   void kmpx_invoke_microtask(void *fn, int32_t *gtid, int32_t *tid, int argc, void **argv)
 * calls fn(gtid, tid, argv[0], ..., argv[argc-1]) under the x86-64 System V convention:
 * the first six integer arguments in rdi, rsi, rdx, rcx, r8, r9, the rest on the stack
 * (16-byte aligned at the call). Other architectures use the C switch in kmp_parallel.c.
 */
#if defined(__x86_64__)
    .text
    .globl  kmpx_invoke_microtask
    .hidden kmpx_invoke_microtask
    .type   kmpx_invoke_microtask, @function
kmpx_invoke_microtask:
    .cfi_startproc
    pushq   %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    movq    %rsp, %rbp
    .cfi_def_cfa_register %rbp
    movq    %rdi, %r10          /* fn */
    movq    %rsi, %rdi          /* gtid */
    movq    %rdx, %rsi          /* tid */
    movslq  %ecx, %rax          /* argc */
    movq    %r8, %r11           /* argv */
    movq    %rax, %rcx
    subq    $4, %rcx            /* arguments that go on the stack */
    jle     .Lregs
    testq   $1, %rcx            /* keep rsp 16-byte aligned at the call */
    jz      .Lpush
    subq    $8, %rsp
.Lpush:
    leaq    -1(%rax), %rdx      /* push argv[argc-1] .. argv[4] */
.Lnext:
    pushq   (%r11,%rdx,8)
    decq    %rdx
    cmpq    $4, %rdx
    jge     .Lnext
.Lregs:
    cmpq    $1, %rax
    jl      .Lcall
    movq    (%r11), %rdx
    cmpq    $2, %rax
    jl      .Lcall
    movq    8(%r11), %rcx
    cmpq    $3, %rax
    jl      .Lcall
    movq    16(%r11), %r8
    cmpq    $4, %rax
    jl      .Lcall
    movq    24(%r11), %r9
.Lcall:
    xorl    %eax, %eax
    call    *%r10
    leave
    .cfi_def_cfa %rsp, 8
    ret
    .cfi_endproc
    .size   kmpx_invoke_microtask, .-kmpx_invoke_microtask
#endif
    .section .note.GNU-stack,"",@progbits
