// Starting the other CPUs: INIT-SIPI-SIPI through the real-mode trampoline
// (boot/trampoline.S), all APs at once. Each AP takes a ticket for one of
// the stacks prepared here, then finds its own index by APIC id.
#include "apic.h"
#include "arch/mmu.h"
#include "arch/smp.h"
#include "arch/time.h"
#include "cpu_setup.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kstack.h"
#include "kernel/panic.h"
#include "layout.h"
#include "paging.h"
#include "traps.h"
#include "x86.h"

extern "C" {
extern const char ap_trampoline_start[], ap_trampoline_end[];
extern const char ap_trampoline_cr3[], ap_trampoline_entry[];
void ap_entry64();
// Read by ap_entry64 (trampoline.S): ticket -> initial stack pointer.
uint32_t ap_boot_ticket = 0;
uint64_t ap_stack_tops[smp::kMaxCpus];
}

namespace x86 {
namespace {

constexpr size_t kApStackSize = 16384;

kernel::mm::KernelStack ap_stacks[smp::kMaxCpus]; // by ticket
uint64_t ist_tops[smp::kMaxCpus][kIstSlots];      // by CPU index

kernel::mm::KernelStack must_alloc_stack(size_t bytes) {
    const kernel::mm::KernelStack s = kernel::mm::alloc_kernel_stack(bytes);
    if (!s.top)
        kernel::panic("smp: out of memory for CPU stacks");
    return s;
}

template <typename T>
T* low_page(uint64_t phys) {
    return static_cast<T*>(arch::phys_to_virt(phys));
}

// The trampoline and its page tables: identity-map the first 2 MiB (where it
// runs when paging comes on) plus the kernel's upper half, so ap_entry64 can
// run before the AP switches to the kernel's own CR3.
void install_trampoline() {
    const size_t size = size_t(ap_trampoline_end - ap_trampoline_start);
    char* copy = low_page<char>(TRAMPOLINE_PHYS);
    memcpy(copy, ap_trampoline_start, size);
    const uint64_t cr3 = TRAMPOLINE_PML4;
    const uint64_t entry = reinterpret_cast<uint64_t>(&ap_entry64);
    memcpy(copy + (ap_trampoline_cr3 - ap_trampoline_start), &cr3, 8);
    memcpy(copy + (ap_trampoline_entry - ap_trampoline_start), &entry, 8);

    auto* pml4 = low_page<uint64_t>(TRAMPOLINE_PML4);
    auto* pdpt = low_page<uint64_t>(TRAMPOLINE_PDPT);
    auto* pd = low_page<uint64_t>(TRAMPOLINE_PD);
    memset(pml4, 0, 4096);
    memset(pdpt, 0, 4096);
    memset(pd, 0, 4096);
    const auto* kernel_pml4 = low_page<uint64_t>(kernel_pml4_phys());
    for (int i = 256; i < 512; i++)
        pml4[i] = kernel_pml4[i];
    pml4[0] = TRAMPOLINE_PDPT | 3;
    pdpt[0] = TRAMPOLINE_PD | 3;
    pd[0] = 0x83; // 2 MiB at 0: present, writable, large
}

bool online(uint32_t cpu) {
    return kernel::cpu_block(cpu).online.load(std::memory_order_acquire);
}

} // namespace
} // namespace x86

namespace arch {

void start_secondary_cpus(uint32_t count) {
    using namespace x86;
    for (uint32_t i = 1; i < count; i++) {
        ap_stacks[i - 1] = must_alloc_stack(kApStackSize);
        ap_stack_tops[i - 1] = ap_stacks[i - 1].top;
        for (int s = 0; s < kIstSlots; s++)
            ist_tops[i][s] = must_alloc_stack(kIstStackSize).top;
    }
    install_trampoline();
    // Release: stacks, tables and trampoline are written before any AP runs.
    __atomic_store_n(&ap_boot_ticket, 0, __ATOMIC_RELEASE);

    // INIT, 10 ms, SIPI, 200 us, SIPI (Intel SDM vol. 3, 8.4.4.1), each step
    // for every AP at once rather than one AP after the other.
    for (uint32_t i = 1; i < count; i++)
        apic_send(kernel::cpu_block(i).hw_id, kIcrInit | kIcrAssert);
    delay_us(10000);
    const uint32_t sipi = kIcrStartup | kIcrAssert | (TRAMPOLINE_PHYS >> 12);
    for (uint32_t i = 1; i < count; i++)
        apic_send(kernel::cpu_block(i).hw_id, sipi);
    delay_us(200);
    for (uint32_t i = 1; i < count; i++)
        if (!online(i)) // a CPU already running ignores a second SIPI
            apic_send(kernel::cpu_block(i).hw_id, sipi);
}

void send_ipi(uint32_t cpu, Ipi kind) {
    switch (kind) {
    case Ipi::Test:
        x86::apic_send(kernel::cpu_block(cpu).hw_id,
                       x86::kIcrFixed | x86::kIcrAssert | x86::kVectorTestIpi);
        break;
    case Ipi::Call:
        x86::apic_send(kernel::cpu_block(cpu).hw_id,
                       x86::kIcrFixed | x86::kIcrAssert | x86::kVectorCallIpi);
        break;
    }
}

void nmi_other_cpus() {
    const uint32_t me = this_cpu_id();
    for (uint32_t i = 0; i < kernel::cpus_enumerated(); i++)
        if (i != me && x86::online(i))
            x86::apic_send(kernel::cpu_block(i).hw_id, x86::kIcrNmi | x86::kIcrAssert);
}

} // namespace arch

extern "C" [[noreturn]] void x86_64_ap_main(uint32_t ticket) {
    using namespace x86;
    write_cr3(kernel_pml4_phys()); // leave the trampoline's tables
    const uint32_t hw_id = cpuid_apic_id();
    uint32_t index = 0;
    for (uint32_t i = 1; i < kernel::cpus_enumerated() && !index; i++)
        if (kernel::cpu_block(i).hw_id == hw_id)
            index = i;
    if (!index)
        arch::halt_forever(); // not a CPU we started (or a duplicate id): stay out of the way
    kernel::Cpu& cpu = kernel::cpu_block(index);
    wrmsr(kMsrGsBase, reinterpret_cast<uint64_t>(&cpu));
    cpu.stack_bottom = ap_stacks[ticket].bottom;
    cpu.stack_top = ap_stacks[ticket].top;
    setup_this_cpu(index, ist_tops[index]);
    apic_init_this_cpu();
    kernel::secondary_cpu_main();
}
