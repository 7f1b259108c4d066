// The kernel's own symbol table, so backtraces name functions without any
// host tool at run time. The build links the kernel twice (kallsyms style):
// the first link's `nm -n -C` output becomes ksyms.S, a sorted table in
// .rodata, and the second link includes it. Text addresses are identical in
// both links (the table sits after all code); the build checks that.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace kernel {

struct Symbol {
    const char* name; // demangled (nm -C at build time)
    uintptr_t offset; // addr - symbol start
};

// The function containing addr, or false when addr is outside kernel text.
bool symbolize(uintptr_t addr, Symbol* out);
size_t symbol_count();

} // namespace kernel
