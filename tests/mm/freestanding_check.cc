// Compiles and instantiates every kernel/mm allocator header with the kernel's flags
// (-ffreestanding -fno-exceptions -fno-rtti -mgeneral-regs-only ...) against a minimal platform
// and a test-and-set spinlock, as the kernel will. Nothing here runs.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernel/mm/buddy.h"
#include "kernel/mm/mm_stats.h"
#include "kernel/mm/page_cache.h"
#include "kernel/mm/page_source.h"
#include "kernel/mm/slab.h"

namespace {

struct MiniPlatform {
    static constexpr std::size_t kMaxCpus = 8;
    static std::size_t max_cpus() noexcept { return kMaxCpus; }
    static std::size_t cpu_id() noexcept { return 0; }
    static void cpu_relax() noexcept {}
    [[noreturn]] static void assert_fail(const char*, const char*, int) { __builtin_trap(); }
    static void wait(std::atomic<std::uint32_t>&, std::uint32_t) {}
    static void wake_all(std::atomic<std::uint32_t>&) {}
    struct PreemptGuard {
        PreemptGuard() = default;
        PreemptGuard(const PreemptGuard&) = delete;
    };
    struct IrqGuard {
        IrqGuard() = default;
        IrqGuard(const IrqGuard&) = delete;
    };
};
static_assert(scythe::mm::Platform<MiniPlatform>);

class SpinLock {
public:
    void lock() noexcept {
        while (held_.exchange(true, std::memory_order_acquire))
            MiniPlatform::cpu_relax();
    }
    void unlock() noexcept { held_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> held_{false};
};

struct DirectMap {
    void* to_virt(scythe::mm::pfn_t pfn) const noexcept {
        return reinterpret_cast<void*>(0xffff800000000000ull + (pfn << scythe::mm::kPageShift));
    }
    scythe::mm::pfn_t to_pfn(const void* p) const noexcept {
        return (reinterpret_cast<std::uintptr_t>(p) - 0xffff800000000000ull) >>
               scythe::mm::kPageShift;
    }
};

using Buddy = scythe::mm::BuddyAllocator<MiniPlatform, SpinLock>;
using Cache = scythe::mm::PageCache<MiniPlatform, Buddy>;
using Source = scythe::mm::CachePageSource<Cache, DirectMap>;
using Objects = scythe::mm::SlabCache<MiniPlatform, SpinLock, Source>;

} // namespace

template class scythe::mm::BuddyAllocator<MiniPlatform, SpinLock>;
template class scythe::mm::PageCache<MiniPlatform, Buddy>;
template class scythe::mm::PageCache<MiniPlatform, Buddy, 64, MiniPlatform::IrqGuard>;
template class scythe::mm::SlabPool<MiniPlatform, SpinLock, Source>;
template class scythe::mm::SlabCache<MiniPlatform, SpinLock, Source>;
template class scythe::mm::CacheRegistry<SpinLock>;

// Referenced so the instantiations are not discarded before code generation.
[[gnu::used]] void* mm_freestanding_check(Objects& objs, Cache& cache,
                                          scythe::mm::CacheRegistry<SpinLock>& reg) {
    reg.add(objs.stats_node());
    cache.free(cache.alloc());
    return objs.alloc();
}
