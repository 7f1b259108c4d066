// Kernel heap: kmalloc/kfree, and operator new/delete on top of them.
// Size classes 16..2048 bytes (powers of two), each a free list under its own
// lock, refilled a page at a time; bigger blocks are whole pages from the pmm.
// Simple on purpose: per-CPU slabs come with the kernel-core issue.
#pragma once

#include <stddef.h>

namespace kernel {

void* kmalloc(size_t size); // 16-byte aligned, nullptr when out of memory
void* kzalloc(size_t size); // zeroed
void kfree(void* ptr);      // nullptr is fine

} // namespace kernel
