// x86-64 user mode: SYSCALL MSRs, SMEP/SMAP, SSE for user code, the entry
// stack, and the C side of syscall entry (syscall_entry.S) and uaccess
// fixups (uaccess.S).
#include <stddef.h>

#include "arch/cpu.h"
#include "arch/pte.h"
#include "arch/user.h"
#include "descriptors.h"
#include "kernel/sched/cputime.h"
#include "kernel/user/signal.h"
#include "kernel/user/syscall.h"
#include "layout.h"
#include "traps.h"
#include "usermode.h"
#include "x86.h"

static_assert(offsetof(arch::CpuBlockHeader, user_entry_sp) == 16, "syscall_entry.S");
static_assert(offsetof(arch::CpuBlockHeader, user_rsp_scratch) == 24, "syscall_entry.S");

extern "C" {
void x86_64_syscall_entry();
[[noreturn]] void x86_64_enter_user(uintptr_t entry, uintptr_t sp);
size_t x86_64_copy_user(void* dst, const void* src, size_t n);
size_t x86_64_clear_user(void* dst, size_t n);
long x86_64_strncpy_user(char* dst, const char* src, size_t n);
extern const uint64_t x86_64_uaccess_fixups[], x86_64_uaccess_fixups_end[];
// Read by uaccess.S: stac/clac only when SMAP is on (they #UD without it).
bool x86_64_smap_on = false;
}

namespace x86 {
namespace {

constexpr uint32_t kMsrStar = 0xc0000081;
constexpr uint32_t kMsrLstar = 0xc0000082;
constexpr uint32_t kMsrSfmask = 0xc0000084;
constexpr uint64_t kEferSce = 1u << 0;
constexpr uint64_t kCr0Mp = 1u << 1, kCr0Em = 1u << 2, kCr0Ts = 1u << 3;
constexpr uint64_t kCr4Osfxsr = 1u << 9, kCr4Osxmmexcpt = 1u << 10;
constexpr uint64_t kCr4Smep = 1u << 20, kCr4Smap = 1u << 21;
// Cleared on SYSCALL: TF, DF, IF, IOPL, AC, NT (as Linux): the entry runs
// with interrupts off until it is on its own stack, and never with AC set.
constexpr uint64_t kSyscallMask = 0x47700;

bool smep_on = false;

void write_cr0(uint64_t v) {
    asm volatile("mov %0, %%cr0" ::"r"(v) : "memory");
}
void write_cr4(uint64_t v) {
    asm volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}

} // namespace

bool uaccess_rip(uint64_t rip) {
    for (const uint64_t* e = x86_64_uaccess_fixups; e < x86_64_uaccess_fixups_end; e += 2)
        if (e[0] == rip)
            return true;
    return false;
}

bool uaccess_fixup(TrapFrame& f) {
    for (const uint64_t* e = x86_64_uaccess_fixups; e < x86_64_uaccess_fixups_end; e += 2) {
        if (e[0] == f.rip) {
            f.rip = e[1];
            return true;
        }
    }
    return false;
}

} // namespace x86

namespace arch {

void user_mode_cpu_init() {
    using namespace x86;
    wrmsr(kMsrEfer, rdmsr(kMsrEfer) | kEferSce);
    // SYSCALL: CS = 0x08, SS = 0x10. SYSRET (64-bit): CS = base + 16, SS =
    // base + 8, so base = the 32-bit user code slot (GDT order in layout.h).
    wrmsr(kMsrStar, (uint64_t(SEL_UCODE32) << 48) | (uint64_t(SEL_KCODE) << 32));
    wrmsr(kMsrLstar, reinterpret_cast<uint64_t>(&x86_64_syscall_entry));
    wrmsr(kMsrSfmask, kSyscallMask);
    wrmsr(kMsrKernelGsBase, 0); // user GS base: musl never sets it

    // x87/SSE for user code (the kernel itself is built general-regs-only):
    // no emulation, no lazy switching, SSE and its exceptions enabled.
    write_cr0((read_cr0() & ~(kCr0Em | kCr0Ts)) | kCr0Mp);
    uint64_t cr4 = read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt;
    const CpuidResult leaf7 = cpuid(0).eax >= 7 ? cpuid(7, 0) : CpuidResult{};
    if (leaf7.ebx & (1u << 7)) {
        cr4 |= kCr4Smep; // the kernel never executes a user page
        smep_on = true;
    }
    if (leaf7.ebx & (1u << 20)) {
        cr4 |= kCr4Smap; // the kernel touches user pages only inside uaccess.S
        x86_64_smap_on = true;
    }
    write_cr4(cr4);
}

bool smep_enabled() {
    return x86::smep_on;
}
bool smap_enabled() {
    return x86_64_smap_on;
}

void set_user_entry_stack(uintptr_t top) {
    this_cpu_block()->user_entry_sp = top;
    x86::set_this_cpu_rsp0(top);
}

void set_user_tls(uint64_t value) {
    x86::wrmsr(x86::kMsrFsBase, value);
}

void enter_user(uintptr_t entry, uintptr_t sp) {
    kernel::sched::cputime::return_to_user();
    x86_64_enter_user(entry, sp);
}

size_t copy_from_user_raw(void* dst, const void* user_src, size_t n) {
    return x86_64_copy_user(dst, user_src, n);
}
size_t copy_to_user_raw(void* user_dst, const void* src, size_t n) {
    return x86_64_copy_user(user_dst, src, n);
}
size_t clear_user_raw(void* user_dst, size_t n) {
    return x86_64_clear_user(user_dst, n);
}
long strncpy_from_user_raw(char* dst, const char* user_src, size_t n) {
    return x86_64_strncpy_user(dst, user_src, n);
}

uintptr_t user_return_limit() {
    return kUserSpaceEnd - 4096;
}

} // namespace arch

// Returns non-zero when the frame must go back by IRETQ (syscall_entry.S).
extern "C" uint64_t x86_64_syscall_dispatch(x86::TrapFrame* f) {
    kernel::sched::cputime::enter_from_user();
    const uint64_t nr = f->rax;
    const uint64_t args[6] = {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9};
    f->rax = static_cast<uint64_t>(kernel::user::syscall(nr, args));
    const bool rewritten = kernel::user::exit_to_user(f, static_cast<long>(nr));
    // SYSRET to a non-canonical RIP faults in ring 0 on the user's stack, and
    // rt_sigreturn takes RIP from user memory: never let it through.
    if (f->rip >= arch::user_return_limit())
        kernel::user::user_fault_kill({"bad return address", 11, 0x80, f->rip, 0});
    kernel::sched::cputime::return_to_user();
    return rewritten;
}
