/*
 * fiber_aarch64.S - the context switch of suspendable tasks on AArch64 (AAPCS64).
 *
 *   void ary_fiber_jump(void **save_sp, void *to_sp);
 *
 * Saves the callee-saved registers x19-x28, the frame pointer x29, the link register x30 and
 * the low halves d8-d15 in a 160-byte frame on the current stack, stores sp in *save_sp,
 * switches to to_sp, restores the same frame from there and returns through the restored
 * x30. A new fiber's frame (fiber.c, ary_fiber_prepare) is zero except x30 = the entry.
 * `ret` needs no BTI landing pad at the entry. Assembled and reviewed here; this machine
 * has no AArch64 CPU to run it (fiber.c's ucontext fallback is the tested path elsewhere).
 */
    .text
    .globl ary_fiber_jump
    .hidden ary_fiber_jump
    .type ary_fiber_jump, %function
    .p2align 4
ary_fiber_jump:
    sub sp, sp, #160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    ret
    .size ary_fiber_jump, .-ary_fiber_jump

    .section .note.GNU-stack,"",%progbits
