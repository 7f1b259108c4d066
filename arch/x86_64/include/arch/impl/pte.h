// x86-64 bodies for arch/pte.h: 4-level paging, 512 entries per table
// (Intel SDM vol. 3A, 4.5 "4-level paging"). No PCID, no protection keys.
// Execute permission is not enforced yet: bit 63 (XD) is reserved until
// EFER.NXE is set, which boot does not do, so kProtExec is accepted and
// every user page is executable.
#pragma once

namespace arch {

inline constexpr int kPageTableLevels = 4;
inline constexpr unsigned kPteEntries = 512;
// Root entries [0, kUserRootEntries) are the user half (canonical lower
// half, below 2^47); the rest are the kernel's, shared by every root.
inline constexpr unsigned kUserRootEntries = 256;
inline constexpr uintptr_t kUserSpaceEnd = uintptr_t(1) << 47;

namespace pte_bits {
inline constexpr pte_t kPresent = 1ull << 0;
inline constexpr pte_t kWritable = 1ull << 1;
inline constexpr pte_t kUser = 1ull << 2;
inline constexpr pte_t kCow = 1ull << 9; // bits 9-11 are ignored by the MMU: ours
// With P clear the MMU ignores every other bit: this one marks a page kept
// with no access (PROT_NONE), Linux's _PAGE_PROTNONE.
inline constexpr pte_t kNoAccess = 1ull << 10;
inline constexpr pte_t kAddrMask = 0x000ffffffffff000ull;
} // namespace pte_bits

inline unsigned pt_index(uintptr_t va, int level) {
    return unsigned(va >> (12 + 9 * level)) & 511;
}
inline pte_t pte_table(uint64_t table_phys) {
    // Non-leaf entries allow everything; the leaf decides (permissions are
    // the AND of all levels).
    using namespace pte_bits;
    return (table_phys & kAddrMask) | kPresent | kWritable | kUser;
}
inline pte_t pte_page(uint64_t page_phys, unsigned prot) {
    using namespace pte_bits;
    if (!(prot & (kProtRead | kProtWrite | kProtExec)))
        return (page_phys & kAddrMask) | kNoAccess;
    return (page_phys & kAddrMask) | kPresent | kUser | (prot & kProtWrite ? kWritable : 0);
}
inline bool pte_present(pte_t e) {
    return e & pte_bits::kPresent;
}
inline bool pte_mapped(pte_t e) {
    return e & (pte_bits::kPresent | pte_bits::kNoAccess);
}
inline uint64_t pte_phys(pte_t e) {
    return e & pte_bits::kAddrMask;
}
inline unsigned pte_prot(pte_t e) {
    using namespace pte_bits;
    if (!(e & kPresent))
        return 0;
    return kProtRead | kProtExec | (e & kWritable ? kProtWrite : 0u);
}
inline pte_t pte_set_prot(pte_t e, unsigned prot) {
    using namespace pte_bits;
    return pte_page(pte_phys(e), prot) | (e & kCow);
}
inline bool pte_cow(pte_t e) {
    return e & pte_bits::kCow;
}
inline pte_t pte_set_cow(pte_t e, bool cow) {
    return cow ? e | pte_bits::kCow : e & ~pte_bits::kCow;
}
inline bool fault_was_write(uint64_t error_code) {
    return error_code & 2; // W/R
}
inline bool fault_was_protection(uint64_t error_code) {
    return error_code & 1; // P: the page was present
}
inline bool fault_was_reserved_bit(uint64_t error_code) {
    return error_code & 8; // RSVD
}

} // namespace arch
