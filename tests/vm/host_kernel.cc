#include "host_kernel.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "arch/mmu.h"
#include "arch/pte.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/pmm.h"
#include "kernel/panic.h"
#include "kernel/xcall.h"

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kKernelRoot = 1; // page 0 stays unused: phys 0 means "no page"
constexpr uint64_t kMultiFirst = 2; // multi-page requests (the count array) come from here
constexpr uint64_t kMultiPages = 64;
constexpr uint64_t kSingleFirst = kMultiFirst + kMultiPages;

std::vector<uint64_t> free_list; // single pages
std::vector<bool> in_use;
uint64_t multi_next = kMultiFirst;
long fail_countdown = -1;
uint64_t outstanding = 0;

} // namespace

namespace vm_host {

void reset() {
    if (!arch::host_phys_base)
        arch::host_phys_base =
            static_cast<unsigned char*>(std::aligned_alloc(kPage, kArenaPages * kPage));
    std::memset(arch::host_phys_base, 0, kArenaPages * kPage);
    free_list.clear();
    for (uint64_t p = kArenaPages; p-- > kSingleFirst;)
        free_list.push_back(p);
    in_use.assign(kArenaPages, false);
    fail_countdown = -1;
    outstanding = 0;
    // The kernel root's kernel half: recognisable entries.
    auto* root = static_cast<arch::pte_t*>(arch::phys_to_virt(kKernelRoot * kPage));
    for (unsigned i = arch::kUserRootEntries; i < arch::kPteEntries; i++)
        root[i] = kernel_half_marker(i);
}

void fail_after(long n) {
    fail_countdown = n;
}
uint64_t allocated_pages() {
    return outstanding;
}
uint64_t kernel_half_marker(unsigned slot) {
    return 0xabc000 + uint64_t(slot) * kPage + 1;
}

} // namespace vm_host

namespace kernel::mm {

uint64_t alloc_pages(size_t count) {
    if (count > 1) { // kernel/vm asks once, for its count array; never freed
        if (multi_next + count > kMultiFirst + kMultiPages)
            return 0;
        const uint64_t p = multi_next;
        multi_next += count;
        return p * kPage; // zeroed by reset()
    }
    if (fail_countdown == 0 || free_list.empty())
        return 0;
    if (fail_countdown > 0)
        fail_countdown--;
    const uint64_t p = free_list.back();
    free_list.pop_back();
    in_use[p] = true;
    outstanding++;
    std::memset(arch::phys_to_virt(p * kPage), 0, kPage);
    return p * kPage;
}

void free_pages(uint64_t phys, size_t count) {
    const uint64_t p = phys / kPage;
    if (count != 1 || phys % kPage || p < kSingleFirst || p >= vm_host::kArenaPages || !in_use[p]) {
        std::fprintf(stderr, "bad free of %#lx (%zu pages)\n", phys, count);
        std::abort();
    }
    in_use[p] = false;
    outstanding--;
    std::memset(arch::phys_to_virt(phys), 0xcc, kPage); // poison: catches use after free
    free_list.push_back(p);
}

size_t free_page_count() {
    return free_list.size();
}

} // namespace kernel::mm

namespace kernel {

void* kmalloc(size_t size) {
    return std::malloc(size);
}
void* kzalloc(size_t size) {
    return std::calloc(1, size);
}
void kfree(void* p) {
    std::free(p);
}

void panic(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    std::abort();
}
void kprintf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vprintf(fmt, ap);
    va_end(ap);
}
void kinfo(const char*, ...) {}

uint32_t cpus_enumerated() {
    return 1;
}
void xcall_set(const CpuSet&, XcallFn, void*, XcallWait) {
    std::fprintf(stderr, "unexpected cross-call: the host test has one CPU\n");
    std::abort();
}
void xcall_poll() {}

} // namespace kernel

namespace arch {

void init_user_root(void* root) {
    const auto* kernel = static_cast<const pte_t*>(phys_to_virt(kKernelRoot * kPage));
    auto* entries = static_cast<pte_t*>(root);
    for (unsigned i = kUserRootEntries; i < kPteEntries; i++)
        entries[i] = kernel[i];
}
uint64_t kernel_root_phys() {
    return kKernelRoot * kPage;
}
namespace {
uint64_t loaded_root = kKernelRoot * kPage;
}
void load_root(uint64_t root_phys) {
    loaded_root = root_phys;
}
uint64_t current_root_phys() {
    return loaded_root;
}
void flush_tlb_page(uintptr_t) {}
void flush_tlb_user() {}
uint64_t ram_top() {
    return vm_host::kArenaPages * kPage;
}

} // namespace arch
