// The process tree: each process's children list (doubly linked, so exit
// and wait unlink in O(1)), under tree_lock(parent).
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

} // namespace kernel::proc
