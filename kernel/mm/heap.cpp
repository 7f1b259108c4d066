#include "kernel/mm/heap.h"

#include <stdint.h>

#include "arch/mmu.h"
#include "kernel/lib/string.h"
#include "kernel/mm/pmm.h"
#include "kernel/panic.h"
#include "smp/spinlock.h"

namespace kernel {
namespace {

// Every block starts with a 16-byte header saying how to free it, so the
// payload stays 16-byte aligned and kfree needs no lookup.
struct alignas(16) Header {
    uint32_t size_class; // index into classes, or kLargeClass
    uint32_t magic;
    uint64_t pages; // large blocks: pages to return
};
constexpr uint32_t kMagic = 0x5c7e4ea9;
constexpr uint32_t kLargeClass = ~0u;
constexpr int kClasses = 8; // 16 .. 2048 bytes of block (header included)
constexpr size_t kSmallest = 16;

struct FreeBlock {
    FreeBlock* next;
};

struct SizeClass {
    smp::SpinLock lock;
    FreeBlock* free = nullptr;
};
SizeClass classes[kClasses];

size_t class_size(int c) {
    return kSmallest << c;
}

int class_for(size_t block) {
    for (int c = 0; c < kClasses; c++)
        if (block <= class_size(c))
            return c;
    return -1;
}

// Caller holds the class lock.
bool refill(int c) {
    const uint64_t page = mm::alloc_page();
    if (!page)
        return false;
    auto* base = static_cast<char*>(arch::phys_to_virt(page));
    for (size_t off = 0; off + class_size(c) <= mm::kPageSize; off += class_size(c)) {
        auto* block = reinterpret_cast<FreeBlock*>(base + off);
        block->next = classes[c].free;
        classes[c].free = block;
    }
    return true;
}

} // namespace

void* kmalloc(size_t size) {
    const size_t block = size + sizeof(Header);
    const int c = class_for(block);
    Header* h;
    if (c < 0) {
        const size_t pages = (block + mm::kPageSize - 1) / mm::kPageSize;
        const uint64_t phys = mm::alloc_pages(pages);
        if (!phys)
            return nullptr;
        h = static_cast<Header*>(arch::phys_to_virt(phys));
        h->size_class = kLargeClass;
        h->pages = pages;
    } else {
        smp::IrqSpinGuard guard(classes[c].lock);
        if (!classes[c].free && !refill(c))
            return nullptr;
        FreeBlock* b = classes[c].free;
        classes[c].free = b->next;
        h = reinterpret_cast<Header*>(b);
        h->size_class = uint32_t(c);
        h->pages = 0;
    }
    h->magic = kMagic;
    return h + 1;
}

void* kzalloc(size_t size) {
    void* p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void* ptr) {
    if (!ptr)
        return;
    Header* h = static_cast<Header*>(ptr) - 1;
    if (h->magic != kMagic)
        panic("kfree: %p was not allocated by kmalloc (or was freed twice)", ptr);
    h->magic = 0;
    if (h->size_class == kLargeClass) {
        mm::free_pages(arch::virt_to_phys(h), h->pages);
        return;
    }
    const uint32_t c = h->size_class;
    smp::IrqSpinGuard guard(classes[c].lock);
    auto* b = reinterpret_cast<FreeBlock*>(h);
    b->next = classes[c].free;
    classes[c].free = b;
}

} // namespace kernel
