// The bits of the C++ runtime the kernel needs: new/delete on the kernel
// heap (there are no exceptions, so running out of memory in `new` panics;
// code that can cope uses kmalloc or new (nothrow) and checks), and the
// handler for a pure virtual call.
#include <new>

#include "kernel/mm/heap.h"
#include "kernel/panic.h"

using kernel::kfree;
using kernel::kmalloc;

namespace {
void* checked_alloc(size_t size) {
    void* p = kmalloc(size);
    if (!p)
        kernel::panic("operator new: out of memory (%zu bytes)", size);
    return p;
}
} // namespace

void* operator new(size_t size) {
    return checked_alloc(size);
}
void* operator new[](size_t size) {
    return checked_alloc(size);
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
    return kmalloc(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
    return kmalloc(size);
}
void operator delete(void* p) noexcept {
    kfree(p);
}
void operator delete[](void* p) noexcept {
    kfree(p);
}
void operator delete(void* p, size_t) noexcept {
    kfree(p);
}
void operator delete[](void* p, size_t) noexcept {
    kfree(p);
}

// Alignments up to 16 come for free from kmalloc; more is not supported yet.
void* operator new(size_t size, std::align_val_t align) {
    if (size_t(align) > 16)
        kernel::panic("operator new: alignment %zu not supported", size_t(align));
    return checked_alloc(size);
}
void operator delete(void* p, std::align_val_t) noexcept {
    kfree(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
    kfree(p);
}

extern "C" void __cxa_pure_virtual() {
    kernel::panic("pure virtual function called");
}

// Static destructors never run (the kernel does not exit); registering them is a no-op.
extern "C" int __cxa_atexit(void (*)(void*), void*, void*) {
    return 0;
}
void* __dso_handle = nullptr;
