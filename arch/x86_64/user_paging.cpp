// x86-64 side of user address spaces: the shared kernel half of a new PML4,
// CR3 loads and local TLB flushes. The tables themselves are walked by the
// portable kernel/vm through arch/pte.h.
#include "arch/mmu.h"
#include "arch/pte.h"
#include "paging.h"
#include "x86.h"

namespace arch {

void init_user_root(void* root) {
    const auto* kernel = static_cast<const pte_t*>(phys_to_virt(x86::kernel_pml4_phys()));
    auto* entries = static_cast<pte_t*>(root);
    for (unsigned i = kUserRootEntries; i < kPteEntries; i++)
        entries[i] = kernel[i];
}

uint64_t kernel_root_phys() {
    return x86::kernel_pml4_phys();
}

void load_root(uint64_t root_phys) {
    x86::write_cr3(root_phys);
}

uint64_t current_root_phys() {
    return x86::read_cr3() & pte_bits::kAddrMask;
}

void flush_tlb_page(uintptr_t va) {
    x86::invlpg(va);
}

void flush_tlb_user() {
    // Rewriting CR3 drops every non-global translation; the kernel's are
    // global and stay (SDM 4.10.4.1).
    x86::write_cr3(x86::read_cr3());
}

} // namespace arch
