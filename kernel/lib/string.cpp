// The portable string functions; memcpy/memmove/memset are per arch
// (arch/x86_64/memory_ops.cpp) because the compiler emits calls to them.
#include "kernel/lib/string.h"

#include <stdint.h>

extern "C" {

int memcmp(const void* a, const void* b, size_t n) {
    auto* x = static_cast<const unsigned char*>(a);
    auto* y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char* a, const char* b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

int strncmp(const char* a, const char* b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i] || !a[i])
            return static_cast<unsigned char>(a[i]) - static_cast<unsigned char>(b[i]);
    }
    return 0;
}

char* strchr(const char* s, int c) {
    for (;; s++) {
        if (*s == char(c))
            return const_cast<char*>(s);
        if (!*s)
            return nullptr;
    }
}

size_t strlcpy(char* dst, const char* src, size_t size) {
    const size_t len = strlen(src);
    if (size) {
        const size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

} // extern "C"
