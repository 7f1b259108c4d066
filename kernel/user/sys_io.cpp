// fds 0, 1, 2: the serial console, open for reading and writing as the
// console Linux hands init. Reading gives end-of-file (no input driver yet).
#include "arch/console.h"
#include "kernel/console.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {
namespace {

constexpr size_t kChunk = 256;
constexpr uint64_t kIovMax = 1024; // Linux's UIO_MAXIOV

bool console_fd(uint64_t fd) {
    return fd <= 2;
}

// Writes user bytes to the console a chunk at a time. Bytes written, or
// -EFAULT if the very first chunk is unreadable (Linux returns the partial
// count when a later one faults).
long console_write_user(uintptr_t buf, size_t len) {
    char chunk[kChunk];
    size_t done = 0;
    while (done < len) {
        const size_t n = len - done < kChunk ? len - done : kChunk;
        if (copy_from_user(chunk, buf + done, n) < 0)
            return done ? static_cast<long>(done) : -kEFAULT;
        ConsoleGuard whole_chunk; // a chunk is never split by another CPU's line
        arch::console_write(chunk, n);
        done += n;
    }
    return static_cast<long>(done);
}

} // namespace

long sys_read(SyscallArgs a) {
    if (!console_fd(a[0]))
        return -kEBADF;
    if (a[2] && !user_range_ok(a[1], a[2]))
        return -kEFAULT;
    return 0;
}

long sys_write(SyscallArgs a) {
    if (!console_fd(a[0]))
        return -kEBADF;
    if (static_cast<int64_t>(a[2]) < 0)
        return -kEINVAL;
    return console_write_user(a[1], a[2]);
}

long sys_writev(SyscallArgs a) {
    struct Iovec {
        uint64_t base, len;
    };
    if (!console_fd(a[0]))
        return -kEBADF;
    if (a[2] > kIovMax)
        return -kEINVAL;
    long total = 0;
    for (uint64_t i = 0; i < a[2]; i++) {
        Iovec iov;
        if (copy_from_user(&iov, a[1] + i * sizeof(Iovec), sizeof iov) < 0)
            return total ? total : -kEFAULT;
        if (static_cast<int64_t>(iov.len) < 0)
            return total ? total : -kEINVAL;
        const long n = console_write_user(iov.base, iov.len);
        if (n < 0)
            return total ? total : n;
        total += n;
    }
    return total;
}

long sys_ioctl(SyscallArgs a) {
    if (!console_fd(a[0]))
        return -kEBADF;
    return -kENOTTY; // not a terminal yet: musl then buffers stdout fully
}

} // namespace kernel::user
