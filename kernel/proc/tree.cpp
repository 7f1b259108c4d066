// The process tree: each process's children list (doubly linked, so exit
// and wait unlink in O(1)), under tree_lock(parent).
#include "arch/cpu.h"
#include "kernel/proc/proc.h"

namespace kernel::proc {
namespace {
Process* the_init = nullptr;
} // namespace

Process* init_process() {
    return the_init;
}
void set_init_process(Process* p) {
    the_init = p;
}

void link_child(Process* parent, Process* child) {
    child->sib_prev = nullptr;
    child->sib_next = parent->children;
    if (parent->children)
        parent->children->sib_prev = child;
    parent->children = child;
}

void unlink_child(Process* parent, Process* child) {
    if (child->sib_prev)
        child->sib_prev->sib_next = child->sib_next;
    else
        parent->children = child->sib_next;
    if (child->sib_next)
        child->sib_next->sib_prev = child->sib_prev;
    child->sib_next = child->sib_prev = nullptr;
}

ParentGuard::ParentGuard(Process& child) : irq_(arch::irq_save()) {
    for (;;) {
        parent_ = child.parent.load(std::memory_order_acquire);
        lock_ = &tree_lock(*parent_);
        lock_->lock();
        if (child.parent.load(std::memory_order_relaxed) == parent_)
            return;
        lock_->unlock(); // reparented meanwhile
    }
}

void ParentGuard::unlock_tree() {
    lock_->unlock();
    lock_ = nullptr;
}

ParentGuard::~ParentGuard() {
    if (lock_)
        lock_->unlock();
    arch::irq_restore(irq_);
}

} // namespace kernel::proc
