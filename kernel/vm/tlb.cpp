#include "kernel/vm/tlb.h"

#include "arch/cpu.h"
#include "arch/mmu.h"
#include "kernel/cpu.h"
#include "kernel/mm/pmm.h"
#include "kernel/panic.h"
#include "kernel/vm/address_space.h"
#include "kernel/vm/page_ref.h"

namespace kernel::vm {
namespace {

struct alignas(smp::kCacheLine) PerCpu {
    // Only its own CPU writes it (interrupts off); others read it for
    // active_anywhere(), a debugging check.
    std::atomic<AddressSpace*> active{nullptr};
    std::atomic<uint64_t> rounds{0}, targets{0}, received{0}, trimmed{0};
};
PerCpu per_cpu[smp::kMaxCpus];

void flush_local(const uintptr_t* pages, uint32_t count, bool all) {
    if (all) {
        arch::flush_tlb_user();
        return;
    }
    for (uint32_t i = 0; i < count; i++)
        arch::flush_tlb_page(pages[i]);
}

} // namespace

bool CpuMask::others(uint32_t except, CpuSet* out) const {
    // seq_cst: the caller's table edits come before this read (see tlb.h).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    bool any = false;
    for (uint32_t w = 0; w < smp::kMaxCpus / 64; w++) {
        uint64_t bits = words_[w].load(std::memory_order_relaxed);
        while (bits) {
            const uint32_t cpu = w * 64 + uint32_t(__builtin_ctzll(bits));
            bits &= bits - 1;
            if (cpu != except) {
                out->add(cpu);
                any = true;
            }
        }
    }
    return any;
}

// Runs on each target CPU, interrupts off.
void shootdown_on_cpu(void* arg) {
    const TlbBatch& b = *static_cast<const TlbBatch*>(arg);
    const uint32_t me = arch::this_cpu_id();
    PerCpu& pc = per_cpu[me];
    pc.received.fetch_add(1, std::memory_order_relaxed);
    if (pc.active.load(std::memory_order_relaxed) != &b.space_) {
        // Switched away since it loaded the space: its CR3 load flushed the
        // user entries, so it has nothing to drop and leaves the set.
        b.space_.cpus().remove(me);
        pc.trimmed.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    flush_local(b.pages_, b.page_count_, b.flush_all_);
}

void TlbBatch::flush_page(uintptr_t va) {
    if (page_count_ < kMaxPages)
        pages_[page_count_++] = va;
    else
        flush_all_ = true;
}

// Callers check release_room() and finish() first.
void TlbBatch::put_page(uint64_t phys) {
    if (releases_ == kMaxReleases)
        panic("vm: TLB batch overflow");
    releases_phys_[releases_++] = phys;
}

void TlbBatch::free_table(uint64_t phys) {
    if (releases_ == kMaxReleases)
        panic("vm: TLB batch overflow");
    releases_phys_[releases_++] = phys | 1;
}

void TlbBatch::finish() {
    if (page_count_ || flush_all_) {
        const uint32_t me = arch::this_cpu_id();
        // Flush here only if this CPU runs the space; it may not even be in
        // the set (an operation on a space loaded elsewhere).
        if (per_cpu[me].active.load(std::memory_order_relaxed) == &space_)
            flush_local(pages_, page_count_, flush_all_);
        CpuSet targets;
        if (space_.cpus().others(me, &targets)) {
            uint32_t n = 0;
            for (uint32_t c = 0; c < smp::kMaxCpus; c++)
                n += targets.has(c);
            per_cpu[me].rounds.fetch_add(1, std::memory_order_relaxed);
            per_cpu[me].targets.fetch_add(n, std::memory_order_relaxed);
            xcall_set(targets, shootdown_on_cpu, this, XcallWait::Yes);
        }
        page_count_ = 0;
        flush_all_ = false;
    }
    for (uint32_t i = 0; i < releases_; i++) {
        const uint64_t r = releases_phys_[i];
        if (r & 1)
            mm::free_page(r & ~uint64_t(1));
        else if (page_ref_put(r / mm::kPageSize) == 0)
            mm::free_page(r);
    }
    releases_ = 0;
}

void activate(AddressSpace* space) {
    const arch::IrqState irq = arch::irq_save();
    PerCpu& pc = per_cpu[arch::this_cpu_id()];
    if (pc.active.load(std::memory_order_relaxed) != space) {
        if (space)
            space->cpus().add(arch::this_cpu_id()); // before the load: see tlb.h
        pc.active.store(space, std::memory_order_relaxed);
        arch::load_root(space ? space->root_phys() : arch::kernel_root_phys());
    }
    arch::irq_restore(irq);
}

AddressSpace* active_space() {
    return per_cpu[arch::this_cpu_id()].active.load(std::memory_order_relaxed);
}

bool active_anywhere(const AddressSpace& space) {
    for (uint32_t i = 0; i < cpus_enumerated(); i++)
        if (per_cpu[i].active.load(std::memory_order_relaxed) == &space)
            return true;
    return false;
}

namespace {

void unload_on_cpu(void* arg) {
    auto* space = static_cast<AddressSpace*>(arg);
    const uint32_t me = arch::this_cpu_id();
    if (per_cpu[me].active.load(std::memory_order_relaxed) == space) {
        per_cpu[me].active.store(nullptr, std::memory_order_relaxed);
        arch::load_root(arch::kernel_root_phys());
    }
    space->cpus().remove(me);
}

} // namespace

void unload_everywhere(AddressSpace& space) {
    const arch::IrqState irq = arch::irq_save();
    const uint32_t me = arch::this_cpu_id();
    unload_on_cpu(&space);
    // Only CPUs that still run on its root need the call. Reading their
    // `active` from here is safe because no thread may load the space any
    // more (unlike a shootdown, which must not trust it, see tlb.h): one
    // that shows another space has loaded another root since.
    CpuSet set, targets;
    bool any = false;
    if (space.cpus().others(me, &set)) {
        for (uint32_t c = 0; c < smp::kMaxCpus; c++) {
            if (!set.has(c))
                continue;
            if (per_cpu[c].active.load(std::memory_order_relaxed) == &space) {
                targets.add(c);
                any = true;
            } else {
                space.cpus().remove(c);
            }
        }
    }
    if (any)
        xcall_set(targets, unload_on_cpu, &space, XcallWait::Yes);
    arch::irq_restore(irq);
}

TlbStats tlb_stats(uint32_t cpu) {
    const PerCpu& pc = per_cpu[cpu];
    return {pc.rounds.load(), pc.targets.load(), pc.received.load(), pc.trimmed.load()};
}

} // namespace kernel::vm
