// Linux x86-64's rt_sigframe (arch/signal.h), built and read from the
// TrapFrame of the entry from user mode. Layout, from the user stack pointer
// at handler entry upwards:
//   pretcode                  the restorer: the handler's `ret` goes there
//   ucontext                  flags, link, stack, sigcontext, signal mask
//   siginfo                   128 bytes
//   (pad to 64) FXSAVE area   sigcontext.fpstate points at it
// Handler entry: rdi = signal, rsi = &siginfo, rdx = &ucontext, rax = 0,
// rsp 8 mod 16 (as just after a call), DF/TF/RF clear.
#include "arch/signal.h"

#include "arch/fpu.h"
#include "arch/pte.h"
#include "arch/user.h"
#include "layout.h"
#include "traps.h"

namespace {

using x86::TrapFrame;

struct SigContext { // Linux's struct sigcontext (64-bit)
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate; // user address of the FXSAVE area, or 0
    uint64_t reserved[8];
};
static_assert(sizeof(SigContext) == 256, "Linux's struct sigcontext");

struct UContext {
    uint64_t flags, link;
    uint64_t ss_sp;
    int32_t ss_flags, ss_pad;
    uint64_t ss_size;
    SigContext mcontext;
    uint64_t sigmask;
};
static_assert(sizeof(UContext) == 304, "Linux's struct ucontext (kernel view)");

struct RtSigFrame {
    uint64_t pretcode;
    UContext uc;
    arch::SigInfo info;
};
static_assert(sizeof(RtSigFrame) == 440, "Linux's struct rt_sigframe");

constexpr uint64_t kRedZone = 128;
constexpr uint64_t kUcSigcontextSs = 2, kUcStrictRestoreSs = 4;
// rt_sigreturn takes these flags from the frame; the rest stay the kernel's
// choice (IF on, IOPL 0, no NT/VM). Linux's FIX_EFLAGS.
constexpr uint64_t kUserFlags = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x10000 |
                                0x40000;                         // CF PF AF ZF SF TF DF OF RF AC
constexpr uint64_t kHandlerClearFlags = 0x100 | 0x400 | 0x10000; // TF DF RF

TrapFrame* as_trap(void* frame) {
    return static_cast<TrapFrame*>(frame);
}

bool user_ok(uint64_t addr, size_t n) {
    return addr < arch::kUserSpaceEnd && n <= arch::kUserSpaceEnd - addr;
}
bool put(uint64_t dst, const void* src, size_t n) {
    return user_ok(dst, n) && arch::copy_to_user_raw(reinterpret_cast<void*>(dst), src, n) == 0;
}
bool get(void* dst, uint64_t src, size_t n) {
    return user_ok(src, n) &&
           arch::copy_from_user_raw(dst, reinterpret_cast<const void*>(src), n) == 0;
}

} // namespace

namespace arch {

void* entry_frame(uintptr_t stack_top) {
    return reinterpret_cast<TrapFrame*>(stack_top) - 1;
}

bool push_signal_frame(void* frame, const HandlerCall& call) {
    TrapFrame& f = *as_trap(frame);
    // On the alternate stack from its top (no red zone: nothing lives there).
    const uint64_t below = call.stack_top ? call.stack_top : f.rsp - kRedZone;
    const uint64_t fp_addr = (below - kFpuStateSize) & ~uint64_t(63);
    const uint64_t addr = ((fp_addr - sizeof(RtSigFrame)) & ~uint64_t(15)) - 8;

    alignas(kFpuStateAlign) uint8_t fpu[kFpuStateSize];
    fpu_save(fpu); // the FPU registers hold this user thread's state (arch/fpu.h)

    RtSigFrame sf{};
    sf.pretcode = call.restorer;
    sf.uc.flags = kUcSigcontextSs | kUcStrictRestoreSs;
    sf.uc.ss_sp = call.uc_stack.sp;
    sf.uc.ss_flags = call.uc_stack.flags;
    sf.uc.ss_size = call.uc_stack.size;
    SigContext& sc = sf.uc.mcontext;
    sc.r8 = f.r8, sc.r9 = f.r9, sc.r10 = f.r10, sc.r11 = f.r11;
    sc.r12 = f.r12, sc.r13 = f.r13, sc.r14 = f.r14, sc.r15 = f.r15;
    sc.rdi = f.rdi, sc.rsi = f.rsi, sc.rbp = f.rbp, sc.rbx = f.rbx;
    sc.rdx = f.rdx, sc.rax = f.rax, sc.rcx = f.rcx, sc.rsp = f.rsp;
    sc.rip = f.rip, sc.eflags = f.rflags;
    sc.cs = SEL_UCODE64, sc.ss = SEL_UDATA;
    sc.oldmask = call.saved_mask;
    sc.fpstate = fp_addr;
    sf.uc.sigmask = call.saved_mask;
    sf.info = *call.info;
    if (!put(fp_addr, fpu, sizeof fpu) || !put(addr, &sf, sizeof sf))
        return false;

    f.rdi = static_cast<uint64_t>(call.sig);
    f.rsi = addr + offsetof(RtSigFrame, info);
    f.rdx = addr + offsetof(RtSigFrame, uc);
    f.rax = 0;
    f.rsp = addr;
    f.rip = call.handler;
    f.rflags &= ~kHandlerClearFlags;
    f.cs = SEL_UCODE64;
    f.ss = SEL_UDATA;
    return true;
}

uint64_t frame_stack_pointer(const void* frame) {
    return static_cast<const TrapFrame*>(frame)->rsp;
}

bool pop_signal_frame(void* frame, uint64_t* mask, AltStack* uc_stack) {
    TrapFrame& f = *as_trap(frame);
    const uint64_t addr = f.rsp - 8; // the handler's `ret` popped pretcode
    RtSigFrame sf;
    if (!get(&sf, addr, sizeof sf))
        return false;
    const SigContext& sc = sf.uc.mcontext;
    alignas(kFpuStateAlign) uint8_t fpu[kFpuStateSize];
    if (sc.fpstate) {
        if (!get(fpu, sc.fpstate, sizeof fpu))
            return false;
        uint32_t mxcsr;
        __builtin_memcpy(&mxcsr, fpu + 24, sizeof mxcsr);
        mxcsr &= 0xffff; // reserved bits set would make FXRSTOR fault
        __builtin_memcpy(fpu + 24, &mxcsr, sizeof mxcsr);
    } else {
        fpu_init_state(fpu);
    }
    f.r8 = sc.r8, f.r9 = sc.r9, f.r10 = sc.r10, f.r11 = sc.r11;
    f.r12 = sc.r12, f.r13 = sc.r13, f.r14 = sc.r14, f.r15 = sc.r15;
    f.rdi = sc.rdi, f.rsi = sc.rsi, f.rbp = sc.rbp, f.rbx = sc.rbx;
    f.rdx = sc.rdx, f.rax = sc.rax, f.rcx = sc.rcx, f.rsp = sc.rsp;
    f.rip = sc.rip;
    f.rflags = (f.rflags & ~kUserFlags) | (sc.eflags & kUserFlags);
    f.cs = SEL_UCODE64;
    f.ss = SEL_UDATA;
    fpu_restore(fpu);
    *mask = sf.uc.sigmask;
    *uc_stack = {sf.uc.ss_sp, sf.uc.ss_flags, sf.uc.ss_size};
    return true;
}

long syscall_result(const void* frame) {
    return static_cast<long>(static_cast<const TrapFrame*>(frame)->rax);
}

void set_syscall_result(void* frame, long value) {
    as_trap(frame)->rax = static_cast<uint64_t>(value);
}

void restart_syscall(void* frame, uint64_t nr) {
    TrapFrame& f = *as_trap(frame);
    f.rax = nr;
    f.rip -= 2; // back over SYSCALL (0f 05)
}

} // namespace arch
