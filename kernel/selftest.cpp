#include "kernel/selftest.h"

#include "arch/smp.h"
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"

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

namespace kernel {
namespace {

int test_panic() {
    selftest_panic_outer();
    return 1; // not reached
}

int test_fault() {
    selftest_fault_trigger();
    return 1; // the read did not fault
}

// Every other online CPU gets one IPI and must count it within a second.
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
    const uint64_t deadline = arch::monotonic_ns() + 1'000'000'000ull;
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

struct Test {
    const char* name;
    int (*run)();
};
constexpr Test kTests[] = {
    {"panic", test_panic},
    {"fault", test_fault},
    {"ipi", test_ipi},
};

} // namespace

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
