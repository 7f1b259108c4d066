// memcpy, memmove and memset with the x86 string instructions: fast on
// current CPUs, and a loop the compiler cannot turn back into a call to itself.
#include "kernel/lib/string.h"

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    // rep movsb: fast on current CPUs and immune to the compiler turning this
    // loop back into a call to memcpy.
    asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n)::"memory");
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    d += n - 1;
    s += n - 1;
    asm volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n)::"memory");
    return dst;
}

void* memset(void* dst, int c, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

} // extern "C"
