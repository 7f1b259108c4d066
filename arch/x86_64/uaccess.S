/* Fault-safe user memory access. Each routine opens the user pages with stac
 * (when SMAP is on), does one rep-string or byte loop, and closes them with
 * clac. An instruction that may fault on a user address is listed in
 * x86_64_uaccess_fixups (fault RIP, fixup RIP); the page-fault and #GP
 * handlers look the RIP up there (x86_64_uaccess_fixup) and resume at the
 * fixup, which reports how far the copy got. stac/clac raise #UD on a CPU
 * without SMAP, hence the flag test.
 *
 * Calling convention (SysV): rdi, rsi, rdx in; rax out. */

    .macro USER_OPEN
    cmpb $0, x86_64_smap_on(%rip)
    je 91f
    stac
91:
    .endm

    .macro USER_CLOSE
    cmpb $0, x86_64_smap_on(%rip)
    je 92f
    clac
92:
    .endm

    .text

/* size_t x86_64_copy_user(void* dst, const void* src, size_t n): bytes not copied. */
    .global x86_64_copy_user
x86_64_copy_user:
    USER_OPEN
    movq %rdx, %rcx
copy_fault:
    rep movsb
    USER_CLOSE
    xorl %eax, %eax
    ret
copy_fixup:
    USER_CLOSE
    movq %rcx, %rax /* rep leaves the remaining count in rcx */
    ret

/* size_t x86_64_clear_user(void* dst, size_t n): bytes not cleared. */
    .global x86_64_clear_user
x86_64_clear_user:
    USER_OPEN
    movq %rsi, %rcx
    xorl %eax, %eax
clear_fault:
    rep stosb
    USER_CLOSE
    xorl %eax, %eax
    ret
clear_fixup:
    USER_CLOSE
    movq %rcx, %rax
    ret

/* long x86_64_strncpy_user(char* dst, const char* src, size_t n):
 * length, n when no NUL within n, -1 on a fault. */
    .global x86_64_strncpy_user
x86_64_strncpy_user:
    USER_OPEN
    xorl %eax, %eax
1:  cmpq %rdx, %rax
    je 2f
strncpy_fault:
    movb (%rsi,%rax), %cl
    movb %cl, (%rdi,%rax)
    testb %cl, %cl
    jz 2f
    incq %rax
    jmp 1b
2:  USER_CLOSE
    ret
strncpy_fixup:
    USER_CLOSE
    movq $-1, %rax
    ret

    .section .rodata
    .balign 8
    .global x86_64_uaccess_fixups, x86_64_uaccess_fixups_end
x86_64_uaccess_fixups:
    .quad copy_fault, copy_fixup
    .quad clear_fault, clear_fixup
    .quad strncpy_fault, strncpy_fixup
x86_64_uaccess_fixups_end:
