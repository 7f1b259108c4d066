// ELF64 (System V gABI, x86-64 psABI): PT_LOAD segments are copied into pages
// of their own (the archive is read-only and shared), bss is zero, and the
// stack is laid out top-down as Linux's create_elf_tables does:
//
//   [strings: argv, envp, execfn, platform] [16 random bytes] (16-aligned)
//   auxv pairs ... AT_NULL | envp ... NULL | argv ... NULL | argc  <- sp
#include "kernel/user/elf_loader.h"

#include "arch/mmu.h"
#include "arch/pte.h"
#include "arch/time.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/sched.h"
#include "kernel/user/errno.h"

namespace kernel::user {
namespace {

struct Ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct Phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
constexpr uint16_t kEtExec = 2, kEtDyn = 3, kEmX86_64 = 62;
constexpr uint32_t kPtLoad = 1, kPtInterp = 3, kPtPhdr = 6;
constexpr uint32_t kPfX = 1, kPfW = 2;
// Static PIE executables (ET_DYN without an interpreter) are placed here.
constexpr uintptr_t kPieBase = 0x10000000;

enum AuxType : uint64_t {
    AT_NULL = 0,
    AT_PHDR = 3,
    AT_PHENT = 4,
    AT_PHNUM = 5,
    AT_PAGESZ = 6,
    AT_BASE = 7,
    AT_FLAGS = 8,
    AT_ENTRY = 9,
    AT_UID = 11,
    AT_EUID = 12,
    AT_GID = 13,
    AT_EGID = 14,
    AT_PLATFORM = 15,
    AT_HWCAP = 16,
    AT_CLKTCK = 17,
    AT_SECURE = 23,
    AT_RANDOM = 25,
    AT_HWCAP2 = 26,
    AT_EXECFN = 31,
};

constexpr size_t kPage = vm::kPageSize;
// The part of the stack built here; the rest is zero-filled on demand.
constexpr size_t kStackImagePages = 8;
constexpr size_t kStackImage = kStackImagePages * kPage;

uintptr_t page_down(uintptr_t v) {
    return v & ~(kPage - 1);
}
uintptr_t page_up(uintptr_t v) {
    return (v + kPage - 1) & ~(kPage - 1);
}

unsigned prot_of(uint32_t pflags) {
    return arch::kProtRead | (pflags & kPfW ? arch::kProtWrite : 0u) |
           (pflags & kPfX ? arch::kProtExec : 0u);
}

// The page at va, mapped with at least `prot` (two segments may share a
// page). Its bytes through the direct map, or nullptr when out of memory.
uint8_t* page_for(vm::AddressSpace* space, uintptr_t va, unsigned prot) {
    uint64_t pa;
    unsigned have;
    if (space->translate(va, &pa, &have)) {
        if ((have | prot) != have)
            space->protect(va, kPage, have | prot);
        return static_cast<uint8_t*>(arch::phys_to_virt(pa));
    }
    pa = mm::alloc_page();
    if (!pa)
        return nullptr;
    auto* bytes = static_cast<uint8_t*>(arch::phys_to_virt(pa));
    memset(bytes, 0, kPage);
    if (!space->map(va, pa, prot)) {
        mm::free_page(pa);
        return nullptr;
    }
    return bytes;
}

long load_segment(vm::AddressSpace* space, const uint8_t* file, const Phdr& ph, uintptr_t bias) {
    const unsigned prot = prot_of(ph.flags);
    const uintptr_t start = ph.vaddr + bias, file_end = start + ph.filesz;
    for (uintptr_t va = page_down(start); va < start + ph.memsz; va += kPage) {
        uint8_t* page = page_for(space, va, prot);
        if (!page)
            return -kENOMEM;
        // The file bytes that fall in this page; the rest stays zero (bss).
        const uintptr_t lo = va < start ? start : va;
        const uintptr_t hi = va + kPage < file_end ? va + kPage : file_end;
        if (lo < hi)
            memcpy(page + (lo - va), file + ph.offset + (lo - start), hi - lo);
    }
    return 0;
}

// Builds the initial stack image in `img` (the top kStackImage bytes of the
// stack) and returns the user stack pointer, or 0 if it does not fit.
uintptr_t build_stack(uint8_t* img, const char* path, const char* const* argv,
                      const char* const* envp, const uint64_t* aux_values, int aux_count,
                      const AuxType* aux_types) {
    size_t top = kStackImage; // offset in img of the lowest byte used so far
    auto user_addr = [](size_t off) { return kStackTop - kStackImage + off; };
    auto push_string = [&](const char* s) -> uintptr_t {
        const size_t n = strlen(s) + 1;
        if (n + 1024 > top)
            return 0;
        top -= n;
        memcpy(img + top, s, n);
        return user_addr(top);
    };
    int argc = 0, envc = 0;
    while (argv[argc])
        argc++;
    while (envp[envc])
        envc++;
    constexpr int kMaxStrings = 256;
    if (argc + envc > kMaxStrings)
        return 0;
    uintptr_t ptrs[kMaxStrings];
    for (int i = 0; i < argc; i++)
        if (!(ptrs[i] = push_string(argv[i])))
            return 0;
    for (int i = 0; i < envc; i++)
        if (!(ptrs[argc + i] = push_string(envp[i])))
            return 0;
    const uintptr_t execfn = push_string(path);
    const uintptr_t platform = push_string("x86_64");
    if (!execfn || !platform)
        return 0;
    // AT_RANDOM: 16 bytes musl uses for the stack protector canary.
    top = (top - 16) & ~size_t(15);
    uint64_t seed = arch::cycle_counter() ^ arch::monotonic_ns() * 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 2; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        memcpy(img + top + 8 * i, &seed, 8);
    }
    const uintptr_t random = user_addr(top);

    // Words below: argc, argv[] NULL, envp[] NULL, auxv pairs + AT_NULL.
    const size_t words = 1 + (argc + 1) + (envc + 1) + 2 * (aux_count + 3);
    if (words * 8 + 64 > top)
        return 0;
    top = (top - words * 8) & ~size_t(15); // sp 16-aligned at argc, as the psABI wants
    auto* w = reinterpret_cast<uint64_t*>(img + top);
    size_t i = 0;
    w[i++] = argc;
    for (int a = 0; a < argc; a++)
        w[i++] = ptrs[a];
    w[i++] = 0;
    for (int e = 0; e < envc; e++)
        w[i++] = ptrs[argc + e];
    w[i++] = 0;
    for (int a = 0; a < aux_count; a++) {
        w[i++] = aux_types[a];
        w[i++] = aux_values[a];
    }
    w[i++] = AT_RANDOM, w[i++] = random;
    w[i++] = AT_EXECFN, w[i++] = execfn;
    w[i++] = AT_PLATFORM, w[i++] = platform;
    w[i++] = AT_NULL, w[i++] = 0;
    return user_addr(top);
}

long map_stack(vm::AddressSpace* space, const uint8_t* img) {
    if (!space->map_anonymous(kStackTop - kStackSize, kStackSize,
                              arch::kProtRead | arch::kProtWrite))
        return -kENOMEM;
    for (size_t p = 0; p < kStackImagePages; p++) {
        uint8_t* page = page_for(space, kStackTop - kStackImage + p * kPage,
                                 arch::kProtRead | arch::kProtWrite);
        if (!page)
            return -kENOMEM;
        memcpy(page, img + p * kPage, kPage);
    }
    return 0;
}

} // namespace

long load_elf(const uint8_t* file, size_t size, const char* path, const char* const* argv,
              const char* const* envp, LoadedImage* out) {
    if (size < sizeof(Ehdr))
        return -kENOEXEC;
    Ehdr eh;
    memcpy(&eh, file, sizeof eh);
    if (memcmp(eh.ident,
               "\x7f"
               "ELF",
               4) != 0 ||
        eh.ident[4] != 2 /* 64-bit */ || eh.ident[5] != 1 /* little endian */ ||
        eh.machine != kEmX86_64 || (eh.type != kEtExec && eh.type != kEtDyn) ||
        eh.phentsize != sizeof(Phdr) || eh.phnum == 0 || eh.phoff > size ||
        size_t(eh.phnum) * sizeof(Phdr) > size - eh.phoff)
        return -kENOEXEC;
    const uintptr_t bias = eh.type == kEtDyn ? kPieBase : 0;

    uintptr_t phdr_addr = 0, highest = 0;
    for (unsigned i = 0; i < eh.phnum; i++) {
        Phdr ph;
        memcpy(&ph, file + eh.phoff + i * sizeof(Phdr), sizeof ph);
        if (ph.type == kPtInterp)
            return -kENOEXEC; // dynamically linked: no loader here
        if (ph.type == kPtPhdr)
            phdr_addr = ph.vaddr + bias;
        if (ph.type != kPtLoad)
            continue;
        if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset ||
            ph.vaddr + bias + ph.memsz < ph.vaddr ||
            ph.vaddr + bias + ph.memsz > kStackTop - kStackSize ||
            ph.vaddr % kPage != ph.offset % kPage)
            return -kENOEXEC;
        if (!phdr_addr && ph.offset <= eh.phoff &&
            eh.phoff + eh.phnum * sizeof(Phdr) <= ph.offset + ph.filesz)
            phdr_addr = ph.vaddr + bias + (eh.phoff - ph.offset);
        if (ph.vaddr + bias + ph.memsz > highest)
            highest = ph.vaddr + bias + ph.memsz;
    }
    if (highest == 0 || eh.entry + bias >= highest)
        return -kENOEXEC;

    vm::AddressSpace* space = vm::AddressSpace::create();
    if (!space)
        return -kENOMEM;
    long err = 0;
    for (unsigned i = 0; i < eh.phnum && !err; i++) {
        Phdr ph;
        memcpy(&ph, file + eh.phoff + i * sizeof(Phdr), sizeof ph);
        if (ph.type == kPtLoad && ph.memsz)
            err = load_segment(space, file, ph, bias);
    }

    const AuxType types[] = {AT_PHDR,  AT_PHENT, AT_PHNUM,  AT_PAGESZ, AT_BASE,
                             AT_FLAGS, AT_ENTRY, AT_UID,    AT_EUID,   AT_GID,
                             AT_EGID,  AT_HWCAP, AT_HWCAP2, AT_CLKTCK, AT_SECURE};
    const uint64_t values[] = {
        phdr_addr, sizeof(Phdr),   eh.phnum, kPage, 0, 0, eh.entry + bias, 0, 0, 0, 0, 0,
        0,         sched::kTickHz, 0};
    static_assert(sizeof types / sizeof types[0] == sizeof values / sizeof values[0]);
    uintptr_t sp = 0;
    if (!err) {
        auto* img = static_cast<uint8_t*>(kzalloc(kStackImage));
        if (!img) {
            err = -kENOMEM;
        } else {
            sp =
                build_stack(img, path, argv, envp, values, sizeof values / sizeof values[0], types);
            err = sp ? map_stack(space, img) : -kE2BIG;
            kfree(img);
        }
    }
    if (err) {
        space->destroy();
        return err;
    }
    *out = {space, eh.entry + bias, sp, page_up(highest)};
    return 0;
}

} // namespace kernel::user
