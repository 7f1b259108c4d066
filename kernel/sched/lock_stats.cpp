#include "kernel/sched/lock_stats.h"

#include "kernel/console.h"
#include "kernel/cpu.h"

namespace kernel::sched {
namespace {

// Push-only list of classes. Classes are constructed by static constructors
// (one CPU, before SMP) but a CAS keeps a later registration safe anyway.
std::atomic<LockClass*> classes{nullptr};

} // namespace

LockClass::LockClass(const char* name) : name_(name) {
    LockClass* head = classes.load(std::memory_order_relaxed);
    do {
        next_ = head;
        // release: the class's fields are visible to whoever walks the list.
    } while (!classes.compare_exchange_weak(head, this, std::memory_order_release,
                                            std::memory_order_relaxed));
}

LockClass::Totals LockClass::totals() const {
    Totals t{0, 0, 0};
    for (uint32_t cpu = 0; cpu < cpus_enumerated(); cpu++) {
        const Counters& c = counters_.on(cpu);
        t.acquisitions += c.acquisitions.load(std::memory_order_relaxed);
        t.contended += c.contended.load(std::memory_order_relaxed);
        t.wait_cycles += c.wait_cycles.load(std::memory_order_relaxed);
    }
    return t;
}

void print_lock_stats() {
    // acquire: pairs with the registering CAS.
    for (LockClass* c = classes.load(std::memory_order_acquire); c; c = c->next()) {
        const LockClass::Totals t = c->totals();
        if (!t.acquisitions)
            continue;
        kprintf("lockstat %s: %lu acquisitions, %lu contended, %lu wait cycles (avg %lu per "
                "contended)\n",
                c->name(), t.acquisitions, t.contended, t.wait_cycles,
                t.contended ? t.wait_cycles / t.contended : 0);
    }
}

} // namespace kernel::sched
