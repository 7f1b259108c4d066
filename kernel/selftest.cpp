#include "kernel/selftest.h"

#include <atomic>

#include "arch/smp.h"
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/pmm.h"
#include "kernel/panic.h"
#include "kernel/sched/selftest_sched.h"

// Global, noinline, and out of any namespace so the backtrace shows these
// exact names; the boot test greps for them.
[[gnu::noinline]] void selftest_panic_inner() {
    kernel::panic("selftest: deliberate panic");
}
[[gnu::noinline]] void selftest_panic_outer() {
    selftest_panic_inner();
    asm volatile(""); // keep this frame (no tail call)
}
[[gnu::noinline]] void selftest_fault_trigger() {
    volatile int* unmapped = reinterpret_cast<volatile int*>(0xdead0000);
    // Not a leaf (the call below), so it has a frame of its own and the
    // backtrace shows its caller too; the empty volatile asm is a scheduling
    // barrier, so the frame is set up before the read rather than after.
    asm volatile("" ::: "memory");
    const int value = *unmapped;
    kernel::kprintf("selftest fault: read %d from 0xdead0000\n", value);
}

// Recurses until the stack runs into its guard page. The page fault cannot
// push its frame there either, so the CPU raises a double fault, which runs
// on its own IST stack and is reported.
[[gnu::noinline]] int selftest_stack_overflow(int depth, volatile bool* stop) {
    volatile char pad[512];
    pad[0] = char(depth);
    if (*stop) // never true: keeps the compiler from calling this infinite
        return 0;
    return selftest_stack_overflow(depth + 1, stop) + pad[0];
}

namespace kernel {
namespace {

std::atomic<bool> panic_on_test_ipi{false};

int test_panic() {
    selftest_panic_outer();
    return 1; // not reached
}

int test_fault() {
    selftest_fault_trigger();
    return 1; // the read did not fault
}

int test_overflow() {
    volatile bool stop = false;
    selftest_stack_overflow(0, &stop);
    return 1; // not reached
}

// kmalloc/kfree across the size classes and the page path, and new/delete.
int test_heap() {
    constexpr int kBlocks = 64;
    void* blocks[kBlocks];
    const size_t free_before = mm::free_page_count();
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < kBlocks; i++) {
            const size_t size = size_t(1) << (i % 14); // 1 B .. 8 KiB
            blocks[i] = kmalloc(size);
            if (!blocks[i] || reinterpret_cast<uintptr_t>(blocks[i]) % 16) {
                kprintf("selftest heap: bad block %p for %zu bytes\n", blocks[i], size);
                return 1;
            }
            memset(blocks[i], i, size);
        }
        for (int i = 0; i < kBlocks; i++) {
            const size_t size = size_t(1) << (i % 14);
            const auto* bytes = static_cast<const unsigned char*>(blocks[i]);
            if (bytes[0] != i || bytes[size - 1] != i) {
                kprintf("selftest heap: block %d overwritten\n", i);
                return 1;
            }
            kfree(blocks[i]);
        }
    }
    struct Thing {
        uint64_t a = 1, b = 2;
    };
    auto* one = new Thing;
    auto* many = new Thing[100];
    const bool ok = one->b == 2 && many[99].a == 1;
    delete one;
    delete[] many;
    // Small blocks stay cached in their size class; large ones go back.
    kprintf("selftest heap: %s (%zu pages kept by size classes)\n", ok ? "ok" : "FAILED",
            free_before - mm::free_page_count());
    return ok ? 0 : 1;
}

// Every other online CPU gets one IPI and must count it. The bound only turns a
// lost IPI into a failure instead of a hang: it is generous because TCG vCPUs on a
// loaded host can be descheduled for long stretches.
int test_ipi() {
    arch::irq_enable();
    const uint32_t me = arch::this_cpu_id();
    uint32_t sent = 0, answered = 0;
    for (uint32_t i = 0; i < cpus_enumerated(); i++) {
        if (i == me || !cpu_block(i).online.load())
            continue;
        arch::send_ipi(i, arch::Ipi::Test);
        sent++;
    }
    const uint64_t deadline = arch::monotonic_ns() + 30'000'000'000ull;
    do {
        answered = 0;
        for (uint32_t i = 0; i < cpus_enumerated(); i++)
            if (i != me && cpu_block(i).test_ipis.load() > 0)
                answered++;
    } while (answered < sent && arch::monotonic_ns() < deadline);
    kprintf("selftest ipi: %u of %u CPUs answered: %s\n", answered, sent,
            answered == sent ? "ok" : "FAILED");
    return answered == sent ? 0 : 1;
}

// The last CPU panics from its IPI handler: the report must name it, and the
// boot CPU (spinning below) must be stopped by the panic's NMI.
int test_ap_panic() {
    const uint32_t target = cpus_enumerated() - 1;
    if (target == 0 || !cpu_block(target).online.load()) {
        kprintf("selftest ap_panic: needs a second CPU online\n");
        return 1;
    }
    panic_on_test_ipi.store(true);
    arch::send_ipi(target, arch::Ipi::Test);
    const uint64_t deadline = arch::monotonic_ns() + 5'000'000'000ull;
    while (arch::monotonic_ns() < deadline)
        arch::cpu_relax();
    kprintf("selftest ap_panic: cpu %u did not panic\n", target);
    return 1;
}

} // namespace

// Self-tests in their own files (kernel/selftest_*.cpp).
int selftest_xcall();
int selftest_lockup();
int selftest_lockfree();
int selftest_mm();
int selftest_vm();
int selftest_rcu_torture();
int selftest_stats();
int selftest_kthread_leaks();

namespace {

struct Test {
    const char* name;
    int (*run)();
};
// clang-format off
constexpr Test kTests[] = {
    {"panic", test_panic},
    {"fault", test_fault},
    {"ipi", test_ipi},
    {"heap", test_heap},
    {"overflow", test_overflow},
    {"ap_panic", test_ap_panic},
    {"lockup", selftest_lockup},
    {"kthreads", sched::test_kthreads},
    {"waitq", sched::test_waitq},
    {"preempt", sched::test_preempt},
    {"mutex", sched::test_mutex},
    {"xcall", selftest_xcall},
    {"lockfree", selftest_lockfree},
    {"mm", selftest_mm},
    {"vm", selftest_vm},
    {"rcu", selftest_rcu_torture},
    {"stats", selftest_stats},
    {"kthread_leaks", selftest_kthread_leaks},
};
// clang-format on

} // namespace

void on_test_ipi() {
    this_cpu().test_ipis.fetch_add(1, std::memory_order_relaxed);
    if (panic_on_test_ipi.load())
        panic("selftest: deliberate panic on cpu %u", arch::this_cpu_id());
}

bool run_selftest(const char* name, int* status) {
    for (const Test& t : kTests) {
        if (strcmp(t.name, name) == 0) {
            kprintf("selftest: running '%s'\n", name);
            *status = t.run();
            return true;
        }
    }
    return false;
}

} // namespace kernel
