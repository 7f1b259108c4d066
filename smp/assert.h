// Assertions for smp/ (and any freestanding library): the failure handler is
// a hook that the kernel (panic) and host tests (abort with a message) each
// define, in the frigg style, so these headers depend on neither.
#pragma once

extern "C" [[noreturn]] void scythe_assert_fail(const char* expr, const char* file, int line);

#define SCYTHE_ASSERT(expr)                                                                        \
    ((expr) ? static_cast<void>(0) : scythe_assert_fail(#expr, __FILE__, __LINE__))
