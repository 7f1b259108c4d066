// Per-page counts of the VM layer, indexed by page frame number.
//
// One 32-bit count per physical page, whose meaning depends on what the page
// currently is (a page is never both):
//  - a user page: the number of address-space mappings referencing it (more
//    than one while shared copy-on-write after a fork);
//  - a page-table page of a user half: its live (present) entries, so a table
//    is freed as soon as its last entry goes.
//
// The counts live in an array of our own for now. When the buddy's PageFrame
// (kernel/mm/buddy.h, which has a refcount field) becomes the kernel's page
// allocator, only page_ref.cpp changes.
//
// Concurrency: page refs are atomic (two address spaces sharing a page drop
// their references under different locks); table counts are only touched
// under the owning address space's lock but use the same atomics.
#pragma once

#include <stdint.h>

namespace kernel::vm {

// Allocates the array (ram_top() / page size entries). Idempotent; called by
// the first address space, or early by tests that count free pages.
void init();

using pfn_t = uint64_t;

void page_ref_set(pfn_t pfn, uint32_t count); // a page entering use: set to 1
uint32_t page_ref_get(pfn_t pfn);             // one more reference; returns the new count
uint32_t page_ref_put(pfn_t pfn);             // one fewer; returns what is left (0: free it)
uint32_t page_ref_count(pfn_t pfn);

// Live entries of a page-table page; returns the new count.
uint32_t table_entries_add(pfn_t pfn, int delta);

} // namespace kernel::vm
