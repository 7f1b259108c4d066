// Per-CPU data, the portable facility.
//
// Two pieces:
//  - The CPU's own block, reached through a register the arch keeps pointing
//    at it (GS base on x86-64): this_cpu_block<T>() for a kernel struct that
//    begins with arch::CpuBlockHeader. One load, no array indexing.
//  - PerCpu<T>: one T per CPU, each on its own cache line(s) so CPUs updating
//    their own slot never share a line. local() is this CPU's slot.
//
// Contract: local() is only stable while the caller cannot migrate to another
// CPU (interrupts or preemption disabled). There is no preemption yet, so
// today any kernel code may call it; later issues will check it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"

namespace smp {

// Upper bound on CPUs the kernel handles (xAPIC ids are 8-bit).
inline constexpr uint32_t kMaxCpus = 256;
inline constexpr size_t kCacheLine = 64;

template <typename Block>
inline Block* this_cpu_block() {
    return static_cast<Block*>(arch::this_cpu_block());
}

template <typename T>
class PerCpu {
public:
    constexpr PerCpu() = default;
    PerCpu(const PerCpu&) = delete;
    PerCpu& operator=(const PerCpu&) = delete;

    T& local() { return slots_[arch::this_cpu_id()].value; }
    T& on(uint32_t cpu) { return slots_[cpu].value; }
    const T& on(uint32_t cpu) const { return slots_[cpu].value; }

private:
    struct alignas(kCacheLine) Slot {
        T value{};
    };
    Slot slots_[kMaxCpus];
};

} // namespace smp
