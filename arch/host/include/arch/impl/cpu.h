// Host bodies for arch/cpu.h, so smp/ headers build and run in host tests.
// "Interrupts" are a per-thread flag and the per-CPU block is per thread:
// a test sets it with arch::host_set_cpu_block() in each thread it starts.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace arch {

inline thread_local bool host_irq_on = true;
inline thread_local CpuBlockHeader* host_cpu_block = nullptr;

inline void host_set_cpu_block(CpuBlockHeader* block) {
    host_cpu_block = block;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
}

inline IrqState irq_save() {
    IrqState was = host_irq_on;
    host_irq_on = false;
    return was;
}
inline void irq_restore(IrqState state) {
    host_irq_on = state != 0;
}
inline bool irq_enabled() {
    return host_irq_on;
}
inline void irq_enable() {
    host_irq_on = true;
}
inline void irq_disable() {
    host_irq_on = false;
}
inline void wait_for_interrupt() {
    std::this_thread::yield();
}
[[noreturn]] inline void halt_forever() {
    for (;;)
        std::this_thread::yield();
}
inline CpuBlockHeader* this_cpu_block() {
    return host_cpu_block;
}
inline uint32_t this_cpu_id() {
    return host_cpu_block ? host_cpu_block->id : 0;
}
inline uint64_t cycle_counter() {
    return uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
}

} // namespace arch

// Default failure hook for smp/assert.h in host builds (weak: a test may
// define its own, e.g. to count failures).
extern "C" [[gnu::weak, noreturn]] void scythe_assert_fail(const char* expr, const char* file,
                                                           int line) {
    std::fprintf(stderr, "assertion failed: %s at %s:%d\n", expr, file, line);
    std::abort();
}
