// read, write, writev, ioctl, close, pipe on the process's fd table
// (file.h): the console on init's fds 0-2, and pipes.
#include "kernel/user/file.h"
#include "kernel/user/process.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {
namespace {

constexpr uint64_t kIovMax = 1024; // Linux's UIO_MAXIOV

// The open file at fd, referenced for the call (another thread may close
// the fd meanwhile): dropped when the guard goes.
class FdRef {
public:
    explicit FdRef(uint64_t fd)
        : f_(fd < static_cast<uint64_t>(kMaxFds) ? fd_get(static_cast<int>(fd)) : nullptr) {}
    ~FdRef() {
        if (f_)
            file_put(f_);
    }
    FdRef(const FdRef&) = delete;
    FdRef& operator=(const FdRef&) = delete;
    File* get() const { return f_; }

private:
    File* f_;
};

} // namespace

long sys_read(SyscallArgs a) {
    FdRef ref(a[0]);
    File* f = ref.get();
    if (!f)
        return -kEBADF;
    return file_read(f, a[1], a[2]);
}

long sys_write(SyscallArgs a) {
    FdRef ref(a[0]);
    File* f = ref.get();
    if (!f)
        return -kEBADF;
    return file_write(f, a[1], a[2]);
}

long sys_writev(SyscallArgs a) {
    struct Iovec {
        uint64_t base, len;
    };
    FdRef ref(a[0]);
    File* f = ref.get();
    if (!f)
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
        const long n = file_write(f, iov.base, iov.len);
        if (n < 0)
            return total ? total : n;
        total += n;
    }
    return total;
}

long sys_ioctl(SyscallArgs a) {
    if (!FdRef(a[0]).get())
        return -kEBADF;
    return -kENOTTY; // not a terminal yet: musl then buffers stdout fully
}

long sys_close(SyscallArgs a) {
    File* f = a[0] < static_cast<uint64_t>(kMaxFds) ? fd_take(static_cast<int>(a[0])) : nullptr;
    if (!f)
        return -kEBADF;
    file_put(f);
    return 0;
}

long sys_pipe2(SyscallArgs a) {
    constexpr uint64_t kOCloexec = 02000000, kONonblock = 04000;
    if (a[1] & ~(kOCloexec | kONonblock))
        return -kEINVAL;
    if (a[1] & kONonblock)
        return -kEINVAL; // not supported yet: say so rather than block
    Process* p = current_process();
    File *r, *w;
    if (long err = pipe_create(&r, &w); err < 0)
        return err;
    const int rfd = fd_install(p, r);
    const int wfd = rfd < 0 ? rfd : fd_install(p, w);
    if (rfd < 0 || wfd < 0) {
        if (rfd >= 0)
            fd_take(rfd);
        file_put(r);
        file_put(w);
        return rfd < 0 ? rfd : wfd;
    }
    const int fds[2] = {rfd, wfd};
    if (copy_to_user(a[0], fds, sizeof fds) < 0) {
        fd_take(rfd);
        fd_take(wfd);
        file_put(r);
        file_put(w);
        return -kEFAULT;
    }
    return 0;
}

long sys_pipe(SyscallArgs a) {
    const uint64_t args[6] = {a[0], 0, 0, 0, 0, 0};
    return sys_pipe2(args);
}

} // namespace kernel::user
