// Page-table entries of user address spaces, for the portable VM layer
// (kernel/vm), which walks and edits the tables itself, the way Linux's mm/
// does over the arch's pgd/pud/pmd/pte helpers. The arch provides the entry
// format (arch/impl/pte.h); the root's kernel half, loading a root and TLB
// flushes are in arch/mmu.h.
//
// Levels are numbered from the leaf: level 0 holds the page entries, level
// kPageTableLevels-1 is the root. Every table is one page of kPteEntries
// entries. User mappings are 4 KiB pages only.
#pragma once

#include <stdint.h>

namespace arch {

using pte_t = uint64_t;

// What a user page allows. Read is implied by any mapping.
inline constexpr unsigned kProtRead = 1u << 0;
inline constexpr unsigned kProtWrite = 1u << 1;
inline constexpr unsigned kProtExec = 1u << 2;

inline unsigned pt_index(uintptr_t va, int level); // index of va's entry in a level's table
inline pte_t pte_table(uint64_t table_phys);       // entry pointing to a lower table
// A user-accessible leaf; with no kProt* bit (PROT_NONE) the page is kept
// but the entry is not present, so every access faults.
inline pte_t pte_page(uint64_t page_phys, unsigned prot);
inline bool pte_present(pte_t e);  // the MMU uses it (tables, accessible pages)
inline bool pte_mapped(pte_t e);   // a leaf holding a page: present or no-access
inline uint64_t pte_phys(pte_t e); // the page or table it points to
inline unsigned pte_prot(pte_t e); // kProt* of a leaf as the MMU enforces it (0: no access)
inline pte_t pte_set_prot(pte_t e, unsigned prot);

// A software bit, ignored by the MMU: the page is logically writable but
// shared copy-on-write, so the hardware entry is read-only.
inline bool pte_cow(pte_t e);
inline pte_t pte_set_cow(pte_t e, bool cow);

// Page-fault error code, decoded.
inline bool fault_was_write(uint64_t error_code);
inline bool fault_was_protection(uint64_t error_code);   // present page, access not allowed
inline bool fault_was_reserved_bit(uint64_t error_code); // an entry had a reserved bit set

} // namespace arch

#include "arch/impl/pte.h"
