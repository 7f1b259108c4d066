// The arch's page-fault hook into the VM layer (kernel/vm/address_space.cpp).
#pragma once

#include <stdint.h>

namespace kernel::vm {

// A fault at a user-half address on a CPU that has an address space loaded
// goes to that space (zero fill, copy-on-write break, stale TLB entry).
// True: resolved, retry the access. False: not the VM's to fix; report it.
bool handle_page_fault(uintptr_t addr, uint64_t error_code);

} // namespace kernel::vm
