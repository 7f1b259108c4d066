// Layouts from the ACPI specification (6.x): RSDP 5.2.5, SDT header 5.2.6,
// FADT 5.2.9, MADT 5.2.12 (Processor Local APIC 5.2.12.2, x2APIC 5.2.12.12).
#include "kernel/acpi/acpi.h"

#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/lib/string.h"

namespace kernel::acpi {
namespace {

Info the_info;

struct [[gnu::packed]] Rsdp {
    char signature[8]; // "RSD PTR "
    uint8_t checksum;  // over the first 20 bytes
    char oem[6];
    uint8_t revision; // 0: ACPI 1.0 (RSDT only), 2+: XSDT fields valid
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t extended_checksum;
    uint8_t reserved[3];
};

struct [[gnu::packed]] SdtHeader {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem[6];
    char oem_table[8];
    uint32_t oem_revision;
    uint32_t creator;
    uint32_t creator_revision;
};

template <typename T = void>
const T* phys(uint64_t addr) {
    return static_cast<const T*>(arch::phys_to_virt(addr));
}

bool checksum_ok(const void* p, uint32_t len) {
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum = uint8_t(sum + static_cast<const uint8_t*>(p)[i]);
    return sum == 0;
}

const Rsdp* scan_for_rsdp(uint64_t start, uint64_t length) {
    for (uint64_t a = start; a + sizeof(Rsdp) <= start + length; a += 16) {
        const auto* r = phys<Rsdp>(a);
        if (memcmp(r->signature, "RSD PTR ", 8) == 0 && checksum_ok(r, 20))
            return r;
    }
    return nullptr;
}

const Rsdp* find_rsdp() {
    // The EBDA's segment is stored in the BIOS data area at 0x40e.
    const uint64_t ebda = uint64_t(*phys<uint16_t>(0x40e)) << 4;
    if (ebda >= 0x80000 && ebda < 0xa0000)
        if (const Rsdp* r = scan_for_rsdp(ebda, 1024))
            return r;
    return scan_for_rsdp(0xe0000, 0x20000);
}

void parse_madt(const SdtHeader* madt) {
    const auto* base = reinterpret_cast<const uint8_t*>(madt);
    the_info.lapic_phys = *reinterpret_cast<const uint32_t*>(base + 36);
    for (uint32_t off = 44; off + 2 <= madt->length;) {
        const uint8_t type = base[off];
        const uint8_t len = base[off + 1];
        if (len < 2)
            break; // malformed: stop rather than loop forever
        const uint8_t* e = base + off;
        uint32_t apic_id = 0, uid = 0, flags = 0;
        bool is_cpu = false;
        if (type == 0 && len >= 8) { // Processor Local APIC
            uid = e[2];
            apic_id = e[3];
            flags = *reinterpret_cast<const uint32_t*>(e + 4);
            is_cpu = true;
        } else if (type == 9 && len >= 16) { // Processor Local x2APIC
            apic_id = *reinterpret_cast<const uint32_t*>(e + 4);
            flags = *reinterpret_cast<const uint32_t*>(e + 8);
            uid = *reinterpret_cast<const uint32_t*>(e + 12);
            is_cpu = true;
        } else if (type == 5 && len >= 12) { // Local APIC Address Override
            the_info.lapic_phys = *reinterpret_cast<const uint64_t*>(e + 4);
        }
        if (is_cpu) {
            if (!(flags & 1)) { // not enabled (maybe online-capable later): skip
                the_info.cpus_disabled++;
            } else if (the_info.cpu_count < smp::kMaxCpus) {
                the_info.cpus[the_info.cpu_count++] = {apic_id, uid};
            }
        }
        off += len;
    }
}

// \_S5_ is a package in the DSDT's AML; find its first value (SLP_TYPa)
// without an AML interpreter: Name(_S5_, Package() { a, b, ... }).
void find_s5(const SdtHeader* dsdt) {
    const auto* p = reinterpret_cast<const uint8_t*>(dsdt);
    for (uint32_t i = sizeof(SdtHeader); i + 8 < dsdt->length; i++) {
        if (memcmp(p + i, "_S5_", 4) != 0 || p[i + 4] != 0x12) // PackageOp
            continue;
        uint32_t j = i + 5;
        j += ((p[j] >> 6) & 3) + 1; // PkgLength: 1 + (top bits) bytes
        j++;                        // NumElements
        uint8_t v = p[j];
        if (v == 0x0a) // BytePrefix
            v = p[j + 1];
        else if (v == 0x01) // OneOp
            v = 1;
        else if (v != 0x00) // ZeroOp; anything else we cannot read
            return;
        the_info.slp_typ_a = v;
        the_info.have_s5 = true;
        return;
    }
}

void parse_fadt(const SdtHeader* fadt) {
    const auto* b = reinterpret_cast<const uint8_t*>(fadt);
    the_info.smi_cmd = *reinterpret_cast<const uint32_t*>(b + 48);
    the_info.acpi_enable = b[52];
    the_info.pm1a_cnt = *reinterpret_cast<const uint32_t*>(b + 64);
    uint64_t dsdt = *reinterpret_cast<const uint32_t*>(b + 40);
    if (fadt->length >= 148 && *reinterpret_cast<const uint64_t*>(b + 140))
        dsdt = *reinterpret_cast<const uint64_t*>(b + 140);
    if (dsdt)
        find_s5(phys<SdtHeader>(dsdt));
}

void visit(uint64_t table_phys) {
    const auto* h = phys<SdtHeader>(table_phys);
    if (!checksum_ok(h, h->length)) {
        kprintf("acpi: table %.4s has a bad checksum, ignored\n", h->signature);
        return;
    }
    if (memcmp(h->signature, "APIC", 4) == 0)
        parse_madt(h);
    else if (memcmp(h->signature, "FACP", 4) == 0)
        parse_fadt(h);
}

} // namespace

void init() {
    const Rsdp* rsdp = find_rsdp();
    if (!rsdp) {
        kprintf("acpi: no RSDP found; assuming one CPU\n");
        return;
    }
    the_info.found = true;
    const bool use_xsdt = rsdp->revision >= 2 && rsdp->xsdt;
    const auto* root = phys<SdtHeader>(use_xsdt ? rsdp->xsdt : rsdp->rsdt);
    const uint32_t entry_size = use_xsdt ? 8 : 4;
    const auto* entries = reinterpret_cast<const uint8_t*>(root) + sizeof(SdtHeader);
    for (uint32_t off = 0; sizeof(SdtHeader) + off + entry_size <= root->length;
         off += entry_size) {
        const uint64_t table = use_xsdt ? *reinterpret_cast<const uint64_t*>(entries + off)
                                        : *reinterpret_cast<const uint32_t*>(entries + off);
        visit(table);
    }
    kinfo("acpi: %s, %u CPUs enabled (%u disabled), local APIC at %#lx\n",
          use_xsdt ? "XSDT" : "RSDT", the_info.cpu_count, the_info.cpus_disabled,
          the_info.lapic_phys);
}

const Info& info() {
    return the_info;
}

} // namespace kernel::acpi
