// Kernel heap: kmalloc/kfree, and operator new/delete on top of them.
// Blocks up to 8 KiB (header included) come from slab caches kmalloc-32 ..
// kmalloc-8192 with per-CPU magazines (kernel/mm/kmem.h); bigger blocks are
// whole pages from the pmm. Statistics: kernel::mm::print_stats().
#pragma once

#include <stddef.h>

namespace kernel {

void* kmalloc(size_t size); // 16-byte aligned, nullptr when out of memory
void* kzalloc(size_t size); // zeroed
void kfree(void* ptr);      // nullptr is fine

// The slab cache kmalloc(size) takes its block from ("kmalloc-64"), or nullptr when the
// block is whole pages. For leak ledgers that must know where an object lives.
const char* kmalloc_cache_name(size_t size);

} // namespace kernel
