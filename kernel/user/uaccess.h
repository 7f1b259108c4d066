// Copies between the kernel and user addresses of the running process. A bad
// pointer (null, non-canonical, kernel half, unmapped, or forbidden) gives
// -EFAULT, never a kernel fault: ranges outside the user half are refused
// here, and faults inside the user half are caught by the arch's fixup table.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/pte.h"
#include "arch/user.h"
#include "kernel/user/errno.h"

namespace kernel::user {

inline bool user_range_ok(uintptr_t addr, size_t n) {
    return addr < arch::kUserSpaceEnd && n <= arch::kUserSpaceEnd - addr;
}

// 0 or -EFAULT.
inline long copy_from_user(void* dst, uintptr_t src, size_t n) {
    if (!user_range_ok(src, n))
        return -kEFAULT;
    return arch::copy_from_user_raw(dst, reinterpret_cast<const void*>(src), n) ? -kEFAULT : 0;
}
inline long copy_to_user(uintptr_t dst, const void* src, size_t n) {
    if (!user_range_ok(dst, n))
        return -kEFAULT;
    return arch::copy_to_user_raw(reinterpret_cast<void*>(dst), src, n) ? -kEFAULT : 0;
}
inline long clear_user(uintptr_t dst, size_t n) {
    if (!user_range_ok(dst, n))
        return -kEFAULT;
    return arch::clear_user_raw(reinterpret_cast<void*>(dst), n) ? -kEFAULT : 0;
}
// The string's length (NUL copied too), -ENAMETOOLONG-like -E2BIG when no NUL
// within n bytes (dst then holds n bytes, not terminated), or -EFAULT.
inline long strncpy_from_user(char* dst, uintptr_t src, size_t n) {
    if (src >= arch::kUserSpaceEnd)
        return -kEFAULT;
    if (n > arch::kUserSpaceEnd - src)
        n = arch::kUserSpaceEnd - src; // a fault at the end of the user half stops it
    const long len = arch::strncpy_from_user_raw(dst, reinterpret_cast<const char*>(src), n);
    if (len < 0)
        return -kEFAULT;
    return static_cast<size_t>(len) == n ? -kE2BIG : len;
}

template <typename T>
long get_user(T* out, uintptr_t src) {
    return copy_from_user(out, src, sizeof(T));
}
template <typename T>
long put_user(uintptr_t dst, const T& value) {
    return copy_to_user(dst, &value, sizeof(T));
}

} // namespace kernel::user
