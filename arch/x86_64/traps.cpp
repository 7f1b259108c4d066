// Exceptions are reported in full (name, error code, registers, CR2 for page
// faults, backtrace) and then panic, unless the VM resolves a page fault, a
// uaccess.S instruction has a fixup, or the fault came from user mode (the
// process is killed). NMIs stop the CPU when another one has panicked.
#include "traps.h"

#include "apic.h"
#include "arch/pte.h"
#include "arch/user.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/sched/cputime.h"
#include "kernel/sched/sched.h"
#include "kernel/selftest.h"
#include "kernel/user/signal.h"
#include "kernel/user/syscall.h"
#include "kernel/vm/fault.h"
#include "kernel/watchdog.h"
#include "kernel/xcall.h"
#include "usermode.h"
#include "x86.h"

namespace x86 {
namespace {

constexpr const char* kExceptionNames[32] = {
    "DIVIDE ERROR",
    "DEBUG",
    "NMI",
    "BREAKPOINT",
    "OVERFLOW",
    "BOUND RANGE EXCEEDED",
    "INVALID OPCODE",
    "DEVICE NOT AVAILABLE",
    "DOUBLE FAULT",
    "COPROCESSOR SEGMENT OVERRUN",
    "INVALID TSS",
    "SEGMENT NOT PRESENT",
    "STACK SEGMENT FAULT",
    "GENERAL PROTECTION FAULT",
    "PAGE FAULT",
    "RESERVED (15)",
    "X87 FLOATING POINT",
    "ALIGNMENT CHECK",
    "MACHINE CHECK",
    "SIMD FLOATING POINT",
    "VIRTUALIZATION",
    "CONTROL PROTECTION",
    "RESERVED (22)",
    "RESERVED (23)",
    "RESERVED (24)",
    "RESERVED (25)",
    "RESERVED (26)",
    "RESERVED (27)",
    "HYPERVISOR INJECTION",
    "VMM COMMUNICATION",
    "SECURITY",
    "RESERVED (31)",
};

// The signal Linux sends for an exception in user mode (arch/x86/kernel/
// traps.c, fault.c), with its si_code and si_addr.
kernel::user::UserFault user_fault_of(const TrapFrame& f) {
    constexpr int kSigIll = 4, kSigTrap = 5, kSigBus = 7, kSigFpe = 8, kSigSegv = 11;
    constexpr int kSiKernel = 0x80, kSegvMaperr = 1, kSegvAccerr = 2, kIllIllopn = 2,
                  kFpeIntdiv = 1, kFpeFltinv = 7, kBusAdraln = 1, kTrapBrkpt = 1;
    const uint64_t v = f.vector;
    kernel::user::UserFault u{kExceptionNames[v], kSigSegv, kSiKernel, f.rip, 0};
    switch (v) {
    case 0: // #DE
        u.sig = kSigFpe, u.code = kFpeIntdiv, u.addr = f.rip;
        break;
    case 1: // #DB
    case 3: // #BP
        u.sig = kSigTrap, u.code = v == 3 ? kSiKernel : kTrapBrkpt;
        break;
    case 6: // #UD
        u.sig = kSigIll, u.code = kIllIllopn, u.addr = f.rip;
        break;
    case 11: // #NP
    case 12: // #SS
        u.sig = kSigBus;
        break;
    case 14: // #PF: not present, or a protection violation
        u.code = arch::fault_was_protection(f.error) ? kSegvAccerr : kSegvMaperr;
        u.addr = read_cr2();
        break;
    case 16: // #MF
    case 19: // #XM
        u.sig = kSigFpe, u.code = kFpeFltinv, u.addr = f.rip;
        break;
    case 17: // #AC
        u.sig = kSigBus, u.code = kBusAdraln;
        break;
    default: // #GP and the rest: SIGSEGV, SI_KERNEL, no address
        break;
    }
    return u;
}

void dump_registers(const TrapFrame& f) {
    using kernel::kprintf;
    kprintf("  RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n", f.rax, f.rbx, f.rcx, f.rdx);
    kprintf("  RSI=%016lx RDI=%016lx RBP=%016lx RSP=%016lx\n", f.rsi, f.rdi, f.rbp, f.rsp);
    kprintf("  R8 =%016lx R9 =%016lx R10=%016lx R11=%016lx\n", f.r8, f.r9, f.r10, f.r11);
    kprintf("  R12=%016lx R13=%016lx R14=%016lx R15=%016lx\n", f.r12, f.r13, f.r14, f.r15);
    kprintf("  RIP=%016lx CS=%04lx SS=%04lx RFLAGS=%08lx CR3=%016lx\n", f.rip, f.cs, f.ss, f.rflags,
            read_cr3());
}

[[noreturn]] void report_exception(const TrapFrame& f) {
    const char* name = kExceptionNames[f.vector];
    const uint64_t cr2 = f.vector == 14 ? read_cr2() : 0;
    {
        kernel::ConsoleGuard whole_report;
        kernel::kprintf("EXCEPTION on cpu %u: vector %lu %s, error code %#lx\n",
                        arch::this_cpu_id(), f.vector, name, f.error);
        if (f.vector == 14)
            kernel::kprintf("  CR2=%016lx (%s, %s, %s mode%s)\n", cr2,
                            f.error & 1 ? "protection violation" : "page not present",
                            f.error & 2 ? "write" : (f.error & 16 ? "instruction fetch" : "read"),
                            f.error & 4 ? "user" : "kernel",
                            f.error & 8 ? ", reserved bit set" : "");
        dump_registers(f);
        const kernel::Cpu& cpu = kernel::this_cpu();
        if (f.rsp < cpu.stack_bottom && f.rsp + 4096 >= cpu.stack_bottom)
            kernel::kprintf("  RSP is in the guard page below this CPU's stack (%#lx-%#lx): "
                            "kernel stack overflow\n",
                            cpu.stack_bottom, cpu.stack_top);
    }
    if (f.vector == 14)
        kernel::panic_at(f.rip, f.rbp, "%s at RIP=%016lx CR2=%016lx", name, f.rip, cr2);
    kernel::panic_at(f.rip, f.rbp, "%s at RIP=%016lx, error code %#lx", name, f.rip, f.error);
}

} // namespace
} // namespace x86

namespace {

void handle_trap(x86::TrapFrame* frame) {
    using namespace x86;
    const uint64_t v = frame->vector;
    if (v == 2 && kernel::panic_in_progress())
        kernel::panic_nmi_stop(frame->rip, frame->rbp,
                               frame->rflags & (1u << 9)); // a panic elsewhere: report, stop
    const bool from_user = frame->cs & 3;
    // The kernel touching a present user page outside uaccess.S is a SMAP
    // violation: the VM would take it for a stale TLB entry and retry forever.
    if (v == 14 && !from_user && arch::smap_enabled() && read_cr2() < arch::kUserSpaceEnd &&
        arch::fault_was_protection(frame->error) && !uaccess_rip(frame->rip))
        report_exception(*frame);
    // A user-half fault may be the VM's to resolve (zero fill, copy-on-write).
    if (v == 14 && kernel::vm::handle_page_fault(read_cr2(), frame->error)) {
        kernel::sched::cputime::minor_fault(); // ru_minflt
        return;
    }
    if (v < 32 && from_user) { // the process gets a signal, not the kernel
        kernel::user::user_fault(user_fault_of(*frame));
        return; // a handler runs on the way back to user mode
    }
    // A bad user pointer in copy_{from,to}_user: the copy stops and returns EFAULT.
    if ((v == 14 || v == 13) && uaccess_fixup(*frame))
        return;
    if (v < 32)
        report_exception(*frame);
    if (v == kVectorSpurious)
        return; // spurious APIC interrupts take no EOI
    if (v >= kVectorPicBase && v < kVectorPicBase + 16)
        return; // a spurious IRQ from the (masked) legacy PICs
    if (v == kVectorTimer || v == kVectorReschedIpi) {
        apic_eoi(); // first: we may switch threads below and return here much later
        if (v == kVectorTimer) {
            kernel::watchdog_tick();
            kernel::sched::on_timer_tick();
        } else
            kernel::sched::on_reschedule_ipi();
        kernel::sched::preempt_on_interrupt_exit();
        return;
    }
    if (v == kVectorTestIpi) {
        apic_eoi(); // before the handler: it may panic and never return
        kernel::on_test_ipi();
        return;
    }
    if (v == kVectorCallIpi) {
        apic_eoi(); // first: a called function may send IPIs or panic
        kernel::on_call_ipi();
        return;
    }
    kernel::kprintf("cpu %u: unexpected interrupt, vector %#lx\n", arch::this_cpu_id(), v);
    apic_eoi();
}

} // namespace

extern "C" void x86_64_trap_dispatch(x86::TrapFrame* frame) {
    const bool from_user = frame->cs & 3;
    if (from_user)
        kernel::sched::cputime::enter_from_user();
    handle_trap(frame);
    // Back to user mode: pending signals first (this return is IRETQ anyway).
    // Not from an NMI or machine check: they may have hit anywhere.
    if (from_user && frame->vector != 2 && frame->vector != 18)
        kernel::user::exit_to_user(frame, -1);
    if (from_user)
        kernel::sched::cputime::return_to_user();
}
