// brk and anonymous private mmap over vm::AddressSpace regions (zero-filled
// on first touch). mmap places mappings top-down below kMmapTop and never
// reuses a freed range yet: enough for musl's malloc in one process.
#include "kernel/user/process.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {
namespace {

constexpr size_t kPage = vm::kPageSize;
constexpr uint64_t kProtMask = 7; // PROT_READ | PROT_WRITE | PROT_EXEC
constexpr uint64_t kMapShared = 0x01, kMapPrivate = 0x02, kMapFixed = 0x10, kMapAnonymous = 0x20,
                   kMapFixedNoReplace = 0x100000;
// Flags that change nothing here (placement hints, population, stack growth).
constexpr uint64_t kMapIgnored = 0x100 /* GROWSDOWN */ | 0x2000 /* LOCKED */ |
                                 0x4000 /* NORESERVE */ | 0x8000 /* POPULATE */ |
                                 0x10000 /* NONBLOCK */ | 0x20000 /* STACK */;
// A brk heap may not grow into the mmap area.
constexpr size_t kBrkMax = size_t(1) << 40;

uintptr_t page_up(uintptr_t v) {
    return (v + kPage - 1) & ~(kPage - 1);
}

unsigned to_prot(uint64_t prot) {
    // PROT_* bits are arch::kProt* bits; PROT_NONE pages are still readable
    // here (no "no access" PTE yet).
    return static_cast<unsigned>(prot & kProtMask) | arch::kProtRead;
}

} // namespace

long sys_brk(SyscallArgs a) {
    Process* p = current_process();
    sched::MutexGuard g(p->mm_lock); // threads share the break
    const uintptr_t want = a[0];
    // Linux returns the current break when the request cannot be met.
    if (want < p->brk_start || want - p->brk_start > kBrkMax)
        return static_cast<long>(p->brk);
    const uintptr_t old_end = page_up(p->brk), new_end = page_up(want);
    if (new_end > old_end &&
        !p->space->map_anonymous(old_end, new_end - old_end, arch::kProtRead | arch::kProtWrite))
        return static_cast<long>(p->brk);
    if (new_end < old_end && !p->space->unmap(new_end, old_end - new_end))
        return static_cast<long>(p->brk);
    p->brk = want;
    return static_cast<long>(want);
}

long sys_mmap(SyscallArgs a) {
    Process* p = current_process();
    const uintptr_t addr = a[0];
    const uint64_t len = a[1], prot = a[2], flags = a[3], off = a[5];
    const uint64_t type = flags & (kMapShared | kMapPrivate);
    if (len == 0 || (prot & ~kProtMask) || addr % kPage || off % kPage)
        return -kEINVAL;
    if (!(flags & kMapAnonymous))
        return -kEBADF; // no files to map yet
    if (type != kMapPrivate ||
        (flags & ~(kMapPrivate | kMapFixed | kMapAnonymous | kMapFixedNoReplace | kMapIgnored)))
        return -kEINVAL; // shared memory needs fork's sharing rules: later
    if (len > arch::kUserSpaceEnd)
        return -kENOMEM;
    const size_t size = page_up(len);
    sched::MutexGuard g(p->mm_lock); // threads share the layout
    uintptr_t at;
    if (flags & (kMapFixed | kMapFixedNoReplace)) {
        if (!user_range_ok(addr, size) || addr == 0)
            return -kEINVAL;
        at = addr;
        if (flags & kMapFixed)
            p->space->unmap(at, size); // MAP_FIXED replaces what was there
    } else {
        if (size > p->mmap_floor - page_up(p->brk_start + kBrkMax))
            return -kENOMEM;
        at = p->mmap_floor - size;
    }
    if (!p->space->map_anonymous(at, size, to_prot(prot)))
        return (flags & kMapFixedNoReplace) ? -kEEXIST : -kENOMEM;
    if (!(flags & (kMapFixed | kMapFixedNoReplace)))
        p->mmap_floor = at;
    return static_cast<long>(at);
}

long sys_munmap(SyscallArgs a) {
    const uintptr_t addr = a[0];
    if (addr % kPage || a[1] == 0 || !user_range_ok(addr, page_up(a[1])))
        return -kEINVAL;
    return current_process()->space->unmap(addr, page_up(a[1])) ? 0 : -kENOMEM;
}

long sys_mprotect(SyscallArgs a) {
    const uintptr_t addr = a[0];
    if (addr % kPage || (a[2] & ~kProtMask))
        return -kEINVAL;
    if (a[1] == 0)
        return 0;
    if (!user_range_ok(addr, page_up(a[1])))
        return -kENOMEM;
    return current_process()->space->protect(addr, page_up(a[1]), to_prot(a[2])) ? 0 : -kENOMEM;
}

} // namespace kernel::user
