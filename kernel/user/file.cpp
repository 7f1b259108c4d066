// Files and pipes (file.h). A pipe is a 4 KiB ring under a sleeping mutex
// (copies to and from user memory may fault and block); readers and writers
// sleep on their own wait queues, whose conditions read the ring's atomic
// counters, so "update under the mutex, then wake" is never missed.
#include "kernel/user/file.h"

#include <new>

#include "arch/console.h"
#include "kernel/console.h"
#include "kernel/mm/heap.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/waitq.h"
#include "kernel/user/errno.h"
#include "kernel/user/process.h"
#include "kernel/user/signal.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {

sched::LockClass pipe_class("pipe");

struct Pipe {
    static constexpr size_t kSize = 4096;
    sched::Mutex mutex{pipe_class};
    sched::WaitQueue readable, writable;
    std::atomic<size_t> count{0}; // bytes in the ring
    size_t head = 0;              // next byte to read, under mutex
    std::atomic<uint32_t> readers{1}, writers{1};
    // Ends whose last close has not finished waking the other side: the
    // pipe is freed by whichever finishes second (counting readers and
    // writers alone would let one closer free it under the other's wakeup).
    std::atomic<uint32_t> closing_ends{2};
    char buf[kSize];
};

namespace {

constexpr long kEMFILE = 24, kEPIPE = 32;
constexpr size_t kChunk = 256;

std::atomic<uint64_t> files_live{0};
File console{File::Kind::Console, {1u << 30}, nullptr}; // never freed

void free_file(File* f) {
    files_live.fetch_sub(1, std::memory_order_relaxed);
    f->~File();
    kfree(f);
}

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

long pipe_read(Pipe* p, uintptr_t buf, size_t len) {
    if (len == 0)
        return 0;
    for (;;) {
        p->mutex.lock();
        const size_t avail = p->count.load(std::memory_order_relaxed);
        if (avail) {
            size_t n = len < avail ? len : avail, done = 0;
            long err = 0;
            while (done < n) {
                const size_t at = (p->head + done) % Pipe::kSize;
                size_t piece = Pipe::kSize - at < n - done ? Pipe::kSize - at : n - done;
                if (copy_to_user(buf + done, p->buf + at, piece) < 0) {
                    err = -kEFAULT;
                    break;
                }
                done += piece;
            }
            p->head = (p->head + done) % Pipe::kSize;
            p->count.fetch_sub(done, std::memory_order_release);
            p->mutex.unlock();
            p->writable.wake_all();
            return done ? static_cast<long>(done) : err;
        }
        const bool eof = p->writers.load(std::memory_order_acquire) == 0;
        p->mutex.unlock();
        if (eof)
            return 0;
        if (!wait_interruptible(p->readable, [p] {
                return p->count.load(std::memory_order_acquire) ||
                       !p->writers.load(std::memory_order_acquire);
            }))
            return -kERestartSys;
    }
}

long pipe_write(Pipe* p, uintptr_t buf, size_t len) {
    size_t done = 0;
    while (done < len) {
        p->mutex.lock();
        if (!p->readers.load(std::memory_order_acquire)) {
            p->mutex.unlock();
            if (done)
                return static_cast<long>(done);
            Process* me = current_process();
            send_signal(me, kSigPipe, {kSiUser, me->pid, 0});
            return -kEPIPE;
        }
        const size_t used = p->count.load(std::memory_order_relaxed);
        const size_t space = Pipe::kSize - used;
        if (space) {
            size_t n = len - done < space ? len - done : space, put = 0;
            long err = 0;
            while (put < n) {
                const size_t at = (p->head + used + put) % Pipe::kSize;
                size_t piece = Pipe::kSize - at < n - put ? Pipe::kSize - at : n - put;
                if (copy_from_user(p->buf + at, buf + done + put, piece) < 0) {
                    err = -kEFAULT;
                    break;
                }
                put += piece;
            }
            p->count.fetch_add(put, std::memory_order_release);
            p->mutex.unlock();
            p->readable.wake_all();
            done += put;
            if (err)
                return done ? static_cast<long>(done) : err;
            continue;
        }
        p->mutex.unlock();
        if (!wait_interruptible(p->writable, [p] {
                return p->count.load(std::memory_order_acquire) < Pipe::kSize ||
                       !p->readers.load(std::memory_order_acquire);
            }))
            return done ? static_cast<long>(done) : -kERestartSys;
    }
    return static_cast<long>(done);
}

} // namespace

File* console_file() {
    return file_get(&console);
}

File* file_get(File* f) {
    f->refs.fetch_add(1, std::memory_order_relaxed);
    return f;
}

void file_put(File* f) {
    // acq_rel: the last put sees every other holder's use of the file.
    if (f->refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
        return;
    Pipe* p = f->pipe;
    if (f->kind == File::Kind::Console)
        return;
    p->mutex.lock();
    if (f->kind == File::Kind::PipeRead)
        p->readers.fetch_sub(1);
    else
        p->writers.fetch_sub(1);
    p->mutex.unlock();
    // Wake the other side: a reader sees end of file, a writer EPIPE.
    p->readable.wake_all();
    p->writable.wake_all();
    // acq_rel: the second end to finish sees the first one's wakeups done.
    if (p->closing_ends.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        p->~Pipe();
        kfree(p);
    }
    free_file(f);
}

long file_read(File* f, uintptr_t buf, size_t len) {
    if (len && !user_range_ok(buf, len))
        return -kEFAULT;
    switch (f->kind) {
    case File::Kind::Console:
        return 0; // no input driver yet: end of file
    case File::Kind::PipeRead:
        return pipe_read(f->pipe, buf, len);
    default:
        return -kEBADF;
    }
}

long file_write(File* f, uintptr_t buf, size_t len) {
    if (static_cast<int64_t>(len) < 0)
        return -kEINVAL;
    switch (f->kind) {
    case File::Kind::Console:
        return console_write_user(buf, len);
    case File::Kind::PipeWrite:
        return pipe_write(f->pipe, buf, len);
    default:
        return -kEBADF;
    }
}

long pipe_create(File** read_end, File** write_end) {
    void* pm = kmalloc(sizeof(Pipe));
    void* rm = kmalloc(sizeof(File));
    void* wm = kmalloc(sizeof(File));
    if (!pm || !rm || !wm) {
        kfree(pm);
        kfree(rm);
        kfree(wm);
        return -kENOMEM;
    }
    Pipe* p = new (pm) Pipe;
    *read_end = new (rm) File{File::Kind::PipeRead, {1}, p};
    *write_end = new (wm) File{File::Kind::PipeWrite, {1}, p};
    files_live.fetch_add(2, std::memory_order_relaxed);
    return 0;
}

File* fd_get(int fd) {
    Process* p = current_process();
    if (fd < 0 || fd >= kMaxFds)
        return nullptr;
    smp::IrqSpinGuard g(p->fd_lock);
    return p->fds[fd] ? file_get(p->fds[fd]) : nullptr;
}

File* fd_take(int fd) {
    Process* p = current_process();
    if (fd < 0 || fd >= kMaxFds)
        return nullptr;
    smp::IrqSpinGuard g(p->fd_lock);
    File* f = p->fds[fd];
    p->fds[fd] = nullptr;
    return f;
}

int fd_install(Process* p, File* f) {
    smp::IrqSpinGuard g(p->fd_lock);
    for (int fd = 0; fd < kMaxFds; fd++) {
        if (!p->fds[fd]) {
            p->fds[fd] = f;
            return fd;
        }
    }
    return static_cast<int>(-kEMFILE);
}

void fds_copy(Process* child, Process* parent) {
    smp::IrqSpinGuard g(parent->fd_lock);
    for (int fd = 0; fd < kMaxFds; fd++)
        child->fds[fd] = parent->fds[fd] ? file_get(parent->fds[fd]) : nullptr;
}

void fds_close_all(Process* p) {
    // The last thread: nobody else uses the table, but a closing pipe end
    // may sleep (its mutex), so the references drop outside the lock.
    for (int fd = 0; fd < kMaxFds; fd++) {
        File* f;
        {
            smp::IrqSpinGuard g(p->fd_lock);
            f = p->fds[fd];
            p->fds[fd] = nullptr;
        }
        if (f)
            file_put(f);
    }
}

uint64_t live_files() {
    return files_live.load(std::memory_order_relaxed);
}

} // namespace kernel::user
