// futex(2): WAIT, WAKE, the BITSET variants, REQUEUE and CMP_REQUEUE, what
// musl's threads use (pthread_join, mutexes, condition variables).
//
// Waiters hash by (address space, user address) into buckets, each a
// spinlock over a list of waiters. A waiter lives on its sleeper's stack
// and sleeps on its OWN wait queue, so a requeue just moves the waiter to
// another bucket's list. No lost wakeup: the waiter links itself, then
// re-reads the user word; a waker changes the word, then takes the bucket
// lock to wake, so either the re-read sees the change or the waker finds
// the waiter. A woken waiter's frame stays valid until the waker is done:
// the waker wakes it with the bucket lock held, and the waiter takes that
// lock before it returns.
#include "kernel/user/futex.h"

#include <atomic>

#include "arch/time.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/waitq.h"
#include "kernel/user/errno.h"
#include "kernel/user/signal.h"
#include "kernel/user/uaccess.h"
#include "smp/spinlock.h"

namespace kernel::user {
namespace {

constexpr int kWait = 0, kWake = 1, kRequeue = 3, kCmpRequeue = 4, kWaitBitset = 9,
              kWakeBitset = 10;
constexpr int kPrivateFlag = 128, kClockRealtime = 256;
constexpr uint32_t kBitsetAny = 0xffffffff;
constexpr long kETIMEDOUT = 110;

struct Key {
    const void* space;
    uintptr_t addr;
    bool operator==(const Key&) const = default;
};

struct Waiter {
    Key key;
    uint32_t bitset;
    std::atomic<bool> woken{false};
    bool linked = false; // under the bucket lock
    Waiter* next = nullptr;
    Waiter* prev = nullptr;
    sched::WaitQueue wq; // only this waiter sleeps here
};

struct Bucket {
    smp::SpinLock lock;
    Waiter* head = nullptr;

    void link(Waiter* w) {
        w->prev = nullptr;
        w->next = head;
        if (head)
            head->prev = w;
        head = w;
        w->linked = true;
    }
    void unlink(Waiter* w) {
        if (w->prev)
            w->prev->next = w->next;
        else
            head = w->next;
        if (w->next)
            w->next->prev = w->prev;
        w->next = w->prev = nullptr;
        w->linked = false;
    }
};

constexpr size_t kBuckets = 256;
Bucket buckets[kBuckets];

Bucket& bucket_of(const Key& k) {
    uint64_t h = reinterpret_cast<uintptr_t>(k.space) ^ (k.addr * 0x9e3779b97f4a7c15ull);
    return buckets[(h >> 32) % kBuckets];
}

Key key_for(uintptr_t uaddr) {
    return {current_process()->space, uaddr};
}

// Both buckets locked in address order, once if they are the same.
class TwoBuckets {
public:
    TwoBuckets(Bucket& a, Bucket& b) : irq_(arch::irq_save()) {
        first_ = &a < &b ? &a : &b;
        second_ = &a < &b ? &b : &a;
        first_->lock.lock();
        if (second_ != first_)
            second_->lock.lock();
    }
    ~TwoBuckets() {
        if (second_ != first_)
            second_->lock.unlock();
        first_->lock.unlock();
        arch::irq_restore(irq_);
    }
    TwoBuckets(const TwoBuckets&) = delete;
    TwoBuckets& operator=(const TwoBuckets&) = delete;

private:
    Bucket* first_;
    Bucket* second_;
    arch::IrqState irq_;
};

// Wakes w: unlinked, flagged, its queue woken. Caller holds w's bucket lock.
void wake_waiter(Bucket& b, Waiter* w) {
    b.unlink(w);
    w->woken.store(true, std::memory_order_release);
    w->wq.wake_all();
}

long read_word(uintptr_t uaddr, uint32_t* v) {
    if (uaddr % 4)
        return -kEINVAL;
    return get_user(v, uaddr);
}

// Sleeps until woken, a signal, or the monotonic deadline (0: none).
// Returns 0 if woken.
long sleep_on(Waiter& w, uint64_t deadline_ns) {
    if (!deadline_ns) {
        wait_interruptible(w.wq, [&w] { return w.woken.load(std::memory_order_acquire); });
    } else {
        // No timer wheel yet: yield until the deadline, as nanosleep does.
        const UserThread* t = current_thread();
        while (!w.woken.load(std::memory_order_acquire) && !signal_pending(t) &&
               arch::monotonic_ns() < deadline_ns)
            sched::yield();
    }
    if (w.woken.load(std::memory_order_acquire))
        return 0;
    return deadline_ns && arch::monotonic_ns() >= deadline_ns ? -kETIMEDOUT : -kERestartSys;
}

long futex_wait(uintptr_t uaddr, uint32_t val, uintptr_t timeout, uint32_t bitset, bool absolute,
                bool realtime) {
    if (bitset == 0)
        return -kEINVAL;
    uint64_t deadline = 0;
    if (timeout) {
        struct {
            int64_t sec, nsec;
        } ts;
        if (copy_from_user(&ts, timeout, sizeof ts) < 0)
            return -kEFAULT;
        if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
            return -kEINVAL;
        const uint64_t ns = static_cast<uint64_t>(ts.sec) * 1000000000u + ts.nsec;
        // One boot clock serves every clock here (sys_misc.cpp), so an
        // absolute CLOCK_REALTIME deadline reads like a monotonic one.
        (void)realtime;
        deadline = absolute ? ns : arch::monotonic_ns() + ns;
        if (deadline == 0)
            deadline = 1;
    }
    uint32_t v;
    if (long err = read_word(uaddr, &v); err < 0)
        return err;
    if (v != val)
        return -kEAGAIN;
    Waiter w;
    w.key = key_for(uaddr);
    w.bitset = bitset;
    Bucket& b = bucket_of(w.key);
    {
        smp::IrqSpinGuard g(b.lock);
        b.link(&w);
    }
    // Re-read after linking: a waker that changed the word before we linked
    // is seen here; one that changes it after finds us in the bucket.
    long r = read_word(uaddr, &v);
    if (r == 0 && v != val)
        r = -kEAGAIN;
    if (r == 0)
        r = sleep_on(w, deadline);
    smp::IrqSpinGuard g(b.lock); // a waker may still be waking us: wait for it
    if (w.linked)
        b.unlink(&w);
    return w.woken.load(std::memory_order_acquire) ? 0 : r;
}

long futex_wake(uintptr_t uaddr, int nr, uint32_t bitset) {
    if (bitset == 0)
        return -kEINVAL;
    if (uaddr % 4)
        return -kEINVAL;
    const Key k = key_for(uaddr);
    Bucket& b = bucket_of(k);
    smp::IrqSpinGuard g(b.lock);
    int woken = 0;
    for (Waiter* w = b.head; w && woken < nr;) {
        Waiter* next = w->next;
        if (w->key == k && (w->bitset & bitset)) {
            wake_waiter(b, w);
            woken++;
        }
        w = next;
    }
    return woken;
}

long futex_requeue(uintptr_t uaddr, int nr_wake, int nr_requeue, uintptr_t uaddr2, bool cmp,
                   uint32_t val3) {
    if (nr_wake < 0 || nr_requeue < 0 || uaddr % 4 || uaddr2 % 4)
        return -kEINVAL;
    const Key k1 = key_for(uaddr), k2 = key_for(uaddr2);
    Bucket &b1 = bucket_of(k1), &b2 = bucket_of(k2);
    uint32_t v = 0;
    if (cmp && get_user(&v, uaddr) < 0) // before the locks: it may fault
        return -kEFAULT;
    TwoBuckets g(b1, b2);
    if (cmp) {
        // Under the locks again, so no waiter links between check and move;
        // the page was just touched, so this read does not sleep on a fault.
        if (get_user(&v, uaddr) < 0)
            return -kEFAULT;
        if (v != val3)
            return -kEAGAIN;
    }
    int woken = 0, moved = 0;
    for (Waiter* w = b1.head; w;) {
        Waiter* next = w->next;
        if (w->key == k1) {
            if (woken < nr_wake) {
                wake_waiter(b1, w);
                woken++;
            } else if (moved < nr_requeue) {
                b1.unlink(w);
                w->key = k2;
                b2.link(w);
                moved++;
            } else {
                break;
            }
        }
        w = next;
    }
    return woken + moved;
}

} // namespace

long futex_wake_one(uintptr_t uaddr) {
    return futex_wake(uaddr, 1, kBitsetAny);
}

long sys_futex(SyscallArgs a) {
    const uintptr_t uaddr = a[0];
    const int op = static_cast<int>(a[1]);
    const uint32_t val = static_cast<uint32_t>(a[2]);
    const int cmd = op & ~(kPrivateFlag | kClockRealtime);
    // Private or not: without shared mappings every futex word belongs to
    // one address space, so both key the same way.
    switch (cmd) {
    case kWait:
        return futex_wait(uaddr, val, a[3], kBitsetAny, false, false);
    case kWaitBitset:
        return futex_wait(uaddr, val, a[3], static_cast<uint32_t>(a[5]), true, op & kClockRealtime);
    case kWake:
        return futex_wake(uaddr, static_cast<int>(val), kBitsetAny);
    case kWakeBitset:
        return futex_wake(uaddr, static_cast<int>(val), static_cast<uint32_t>(a[5]));
    case kRequeue:
        return futex_requeue(uaddr, static_cast<int>(val), static_cast<int>(a[3]), a[4], false, 0);
    case kCmpRequeue:
        return futex_requeue(uaddr, static_cast<int>(val), static_cast<int>(a[3]), a[4], true,
                             static_cast<uint32_t>(a[5]));
    default:
        return -kENOSYS;
    }
}

} // namespace kernel::user
