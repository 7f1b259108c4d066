// The arch's page-fault hook into the VM layer (kernel/vm/address_space.cpp).
#pragma once

#include <stdint.h>

namespace kernel::vm {

// A fault at a user-half address on a CPU that has an address space loaded
// goes to that space (zero fill, copy-on-write break, stale TLB entry).
// True: resolved, retry the access. False: not the VM's to fix; report it.
bool handle_page_fault(uintptr_t addr, uint64_t error_code);

// What the faults resolved, per CPU (racy snapshots, for tests and statistics).
struct FaultStats {
    uint64_t zero_fills; // anonymous pages allocated on first touch
    uint64_t cow_copies; // shared page copied on a write
    uint64_t cow_reuses; // copy-on-write page no longer shared: made writable in place
    uint64_t spurious;   // the tables already allowed the access (a stale TLB entry)
};
FaultStats fault_stats(uint32_t cpu);

} // namespace kernel::vm
