// lockfree/cache.h: cache-line size and a padded wrapper.
//
// What: kCacheLine (64 bytes on every x86-64 part we target) and CacheAligned<T>, a T alone on
// its own cache line(s), so per-CPU slots and hot shared words do not false-share.
// When to use: per-CPU arrays, a producer-written word next to a consumer-written word.
// When not: inside nodes that are allocated by the thousand (the padding costs memory).
//
// Synchronisation: none; CacheAligned only changes layout.
#pragma once

#include <cstddef>
#include <utility>

namespace scythe::lf {

// Not std::hardware_destructive_interference_size: GCC warns that its value depends on -mtune,
// and the kernel and the host must agree on the layout of shared structures.
inline constexpr std::size_t kCacheLine = 64;

template <class T>
struct alignas(kCacheLine) CacheAligned {
    T value{};

    CacheAligned() = default;
    template <class... Args>
    explicit CacheAligned(std::in_place_t, Args&&... args) : value(std::forward<Args>(args)...) {}

    T& operator*() noexcept { return value; }
    const T& operator*() const noexcept { return value; }
    T* operator->() noexcept { return &value; }
    const T* operator->() const noexcept { return &value; }
};

static_assert(sizeof(CacheAligned<char>) == kCacheLine);
static_assert(alignof(CacheAligned<char>) == kCacheLine);

} // namespace scythe::lf
