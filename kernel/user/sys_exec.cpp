// execve from the initramfs: the path, argv and envp are copied from user
// memory into one kernel buffer before the old image is dropped.
#include "kernel/mm/heap.h"
#include "kernel/user/process.h"
#include "kernel/user/signal.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {
namespace {

constexpr size_t kMaxArgs = 128;
constexpr size_t kStrings = 32768;
constexpr size_t kPathMax = 256;

struct ExecArgs {
    char path[kPathMax];
    const char* argv[kMaxArgs + 1];
    const char* envp[kMaxArgs + 1];
    char strings[kStrings];
    size_t used = 0;
};

// Copies the NULL-terminated user array at uptr into out (kernel pointers).
long copy_strings(ExecArgs* a, uintptr_t uptr, const char** out) {
    size_t n = 0;
    if (uptr) {
        for (;; n++) {
            uint64_t s;
            if (get_user(&s, uptr + n * sizeof(uint64_t)) < 0)
                return -kEFAULT;
            if (!s)
                break;
            if (n == kMaxArgs)
                return -kE2BIG;
            const long len = strncpy_from_user(a->strings + a->used, s, kStrings - a->used);
            if (len < 0)
                return len;
            out[n] = a->strings + a->used;
            a->used += static_cast<size_t>(len) + 1;
        }
    }
    out[n] = nullptr;
    return 0;
}

} // namespace

long sys_execve(SyscallArgs a) {
    auto* args = static_cast<ExecArgs*>(kmalloc(sizeof(ExecArgs)));
    if (!args)
        return -kENOMEM;
    args->used = 0;
    long err = strncpy_from_user(args->path, a[0], sizeof args->path);
    if (err >= 0)
        err = copy_strings(args, a[1], args->argv);
    if (err >= 0)
        err = copy_strings(args, a[2], args->envp);
    if (err >= 0)
        err = exec_image(args->path, args->argv, args->envp);
    kfree(args);
    if (err < 0)
        return err;
    // A traced process stops with SIGTRAP in its new image (Linux, without
    // PTRACE_O_TRACEEXEC), on its way to user mode.
    Process* p = current_process();
    if (p->tracer.load(std::memory_order_acquire))
        send_thread_signal(current_thread(), kSigTrap, {kSiUser, 0, 0});
    enter_new_image();
}

} // namespace kernel::user
