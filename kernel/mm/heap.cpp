// kmalloc/kfree: blocks from slab caches with per-CPU magazines (one cache
// per power-of-two block size, 32 B .. 8 KiB: a Process is about 4.5 KiB and
// is allocated on every fork, so it must not take the buddy's lock), bigger
// ones as whole pages from the pmm. A 16-byte header in front of every block says where it
// goes back, so kfree needs no lookup and payloads stay 16-byte aligned.
#include "kernel/mm/heap.h"

#include <new>
#include <stdint.h>

#include "arch/mmu.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmem.h"
#include "kernel/mm/pmm.h"
#include "kernel/panic.h"

namespace kernel {
namespace {

struct alignas(16) Header {
    uint32_t size_class; // index into the caches, or kLargeClass
    uint32_t magic;
    uint64_t pages; // large blocks: pages to return
};
constexpr uint32_t kMagic = 0x5c7e4ea9;
constexpr uint32_t kLargeClass = ~0u;
constexpr int kClasses = 9; // 32 .. 8192 bytes of block (header included)
constexpr size_t kSmallest = 32;

constexpr const char* kNames[kClasses] = {"kmalloc-32",  "kmalloc-64",  "kmalloc-128",
                                          "kmalloc-256", "kmalloc-512", "kmalloc-1024",
                                          "kmalloc-2048", "kmalloc-4096", "kmalloc-8192"};

alignas(mm::SlabCache) unsigned char cache_storage[kClasses][sizeof(mm::SlabCache)];
mm::SlabCache* caches[kClasses] = {};

size_t class_size(int c) {
    return kSmallest << c;
}

int class_for(size_t block) {
    for (int c = 0; c < kClasses; c++)
        if (block <= class_size(c))
            return c;
    return -1;
}

} // namespace

namespace mm {

void heap_init() {
    for (int c = 0; c < kClasses; c++) {
        caches[c] = new (cache_storage[c])
            SlabCache(slab_page_source(), kNames[c], class_size(c), alignof(Header));
        cache_registry().add(caches[c]->stats_node());
    }
}

void for_each_heap_cache(void (*fn)(SlabCache&)) {
    for (SlabCache* c : caches)
        if (c)
            fn(*c);
}

} // namespace mm

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
        if (!caches[c])
            panic("kmalloc(%zu) before the heap is up", size);
        h = static_cast<Header*>(caches[c]->alloc());
        if (!h)
            return nullptr;
        h->size_class = uint32_t(c);
        h->pages = 0;
    }
    h->magic = kMagic;
    return h + 1;
}

const char* kmalloc_cache_name(size_t size) {
    const int c = class_for(size + sizeof(Header));
    return c < 0 ? nullptr : kNames[c];
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
    if (h->size_class >= uint32_t(kClasses))
        panic("kfree: %p has a corrupt header (class %u)", ptr, h->size_class);
    caches[h->size_class]->free(h);
}

} // namespace kernel
