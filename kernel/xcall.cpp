#include "kernel/xcall.h"

#include <atomic>

#include "arch/cpu.h"
#include "arch/smp.h"
#include "kernel/cpu.h"
#include "kernel/lf_platform.h"
#include "kernel/panic.h"
#include "kernel/stats/counters.h"
#include "lockfree/mpsc_queue.h"

namespace kernel {
namespace {

// One per (sender, target) pair, owned by the sender; the target holds it
// from the push until it clears `busy`.
struct Request {
    scythe::lf::MpscHook<> hook;
    XcallFn fn = nullptr;
    void* arg = nullptr;
    std::atomic<bool> busy{false};
};

struct alignas(smp::kCacheLine) CallCpu {
    scythe::lf::MpscQueue<&Request::hook> queue; // requests for this CPU
    std::atomic<bool> ipi_pending{false};        // an Ipi::Call is on its way
    Request* slots = nullptr;                    // [target]: this CPU's requests
    std::atomic<uint64_t> sent{0}, ipis{0}, handled{0};
};

CallCpu call_cpus[smp::kMaxCpus];
std::atomic<bool> ready{false};

bool online(uint32_t cpu) {
    return cpu_block(cpu).online.load(std::memory_order_acquire);
}

void bump(std::atomic<uint64_t>& counter) {
    // relaxed: statistics; only the owning CPU writes each counter.
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// Runs every queued request of this CPU, interrupts off (the queue has a
// single consumer: this CPU, whether from the IPI handler or a poll). The id
// is read with interrupts off: a thread cannot migrate in between.
void serve() {
    const arch::IrqState irq = arch::irq_save();
    CallCpu& self = call_cpus[arch::this_cpu_id()];
    // acq_rel RMW: reads the last sender's exchange (release sequence), so
    // every push that found the flag set is visible to the pops below.
    self.ipi_pending.exchange(false, std::memory_order_acq_rel);
    while (Request* r = self.queue.pop_spin<LfPlatform>()) {
        r->fn(r->arg);
        bump(self.handled);
        // release: the function's effects are visible to a waiting sender
        // (its acquire load of busy). From here the slot is the sender's.
        r->busy.store(false, std::memory_order_release);
    }
    arch::irq_restore(irq);
}

// Queues fn(arg) for `target` in this CPU's slot for it, waiting for the
// slot's previous call to finish first. Returns the slot.
Request& post(uint32_t target, XcallFn fn, void* arg) {
    for (;;) {
        const arch::IrqState irq = arch::irq_save(); // pinned; no reentry on the slot
        CallCpu& self = call_cpus[arch::this_cpu_id()];
        Request& r = self.slots[target];
        // acquire: pairs with serve()'s release; the target is done with r.
        if (!r.busy.load(std::memory_order_acquire)) {
            r.busy.store(true, std::memory_order_relaxed); // published by the push
            r.fn = fn;
            r.arg = arg;
            CallCpu& dest = call_cpus[target];
            dest.queue.push(&r); // release: fn, arg visible to the target's pop
            bump(self.sent);
            // acq_rel: pairs with serve()'s exchange. Only the sender that
            // turns the flag on sends the IPI; the others ride on it.
            if (!dest.ipi_pending.exchange(true, std::memory_order_acq_rel)) {
                arch::send_ipi(target, arch::Ipi::Call);
                bump(self.ipis);
            }
            arch::irq_restore(irq);
            return r;
        }
        arch::irq_restore(irq);
        serve(); // the target may be waiting on us
        arch::cpu_relax();
    }
}

void wait_done(Request& r) {
    // acquire: pairs with serve()'s release store of busy.
    while (r.busy.load(std::memory_order_acquire)) {
        serve();
        arch::cpu_relax();
    }
}

void run_here(XcallFn fn, void* arg) {
    const arch::IrqState irq = arch::irq_save(); // same context as a remote call
    fn(arg);
    arch::irq_restore(irq);
}

void check_ready() {
    if (!ready.load(std::memory_order_acquire))
        panic("xcall: used before xcall_init()");
}

} // namespace

void xcall_init() {
    const uint32_t n = cpus_enumerated();
    for (uint32_t i = 0; i < n; i++)
        call_cpus[i].slots = new Request[n];
    // release: the slots are set before any CPU can see ready.
    ready.store(true, std::memory_order_release);
}

bool xcall_one(uint32_t cpu, XcallFn fn, void* arg, XcallWait wait) {
    check_ready();
    LfPlatform::PreemptGuard pin; // "the caller's CPU" must stay the same
    if (cpu >= cpus_enumerated() || !online(cpu))
        return false;
    if (cpu == arch::this_cpu_id()) {
        run_here(fn, arg);
        return true;
    }
    Request& r = post(cpu, fn, arg);
    if (wait == XcallWait::Yes)
        wait_done(r);
    return true;
}

void xcall_set(const CpuSet& cpus, XcallFn fn, void* arg, XcallWait wait) {
    check_ready();
    LfPlatform::PreemptGuard pin; // `me` and the slots waited on stay this CPU's
    const uint32_t me = arch::this_cpu_id();
    const uint32_t n = cpus_enumerated();
    bool include_me = false;
    for (uint32_t i = 0; i < n; i++) {
        if (!cpus.has(i) || !online(i))
            continue;
        if (i == me)
            include_me = true;
        else
            post(i, fn, arg);
    }
    if (include_me)
        run_here(fn, arg);
    if (wait == XcallWait::No)
        return;
    for (uint32_t i = 0; i < n; i++)
        if (i != me && cpus.has(i) && online(i))
            wait_done(call_cpus[me].slots[i]);
}

void xcall_others(XcallFn fn, void* arg, XcallWait wait) {
    LfPlatform::PreemptGuard pin; // "others" is relative to this CPU
    CpuSet all;
    for (uint32_t i = 0; i < cpus_enumerated(); i++)
        all.add(i);
    all.remove(arch::this_cpu_id());
    xcall_set(all, fn, arg, wait);
}

void xcall_all(XcallFn fn, void* arg, XcallWait wait) {
    CpuSet all;
    for (uint32_t i = 0; i < cpus_enumerated(); i++)
        all.add(i);
    xcall_set(all, fn, arg, wait);
}

void xcall_poll() {
    if (ready.load(std::memory_order_acquire))
        serve();
}

XcallStats xcall_stats(uint32_t cpu) {
    const CallCpu& c = call_cpus[cpu];
    return {c.sent.load(std::memory_order_relaxed), c.ipis.load(std::memory_order_relaxed),
            c.handled.load(std::memory_order_relaxed)};
}

void on_call_ipi() {
    stats::count(stats::Event::CallIpiReceived);
    xcall_poll();
}

} // namespace kernel
