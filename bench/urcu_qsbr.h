// liburcu (QSBR flavour) for the host benchmarks: one place that includes it
// the way C++ needs (see ../shared notes: flavour-prefixed names only).
#pragma once

// Inline fast paths (read lock/unlock, quiescent state, online/offline), as a
// liburcu user would build them; the library still provides call_rcu etc.
#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-qsbr.h>

namespace scythe::bench {

// A registered urcu-qsbr reader thread, offline between batches.
struct UrcuQsbrThread {
    UrcuQsbrThread() {
        urcu_qsbr_register_thread(); // registers online
        urcu_qsbr_thread_offline();
    }
    ~UrcuQsbrThread() { urcu_qsbr_unregister_thread(); }
    UrcuQsbrThread(const UrcuQsbrThread&) = delete;
    UrcuQsbrThread& operator=(const UrcuQsbrThread&) = delete;
    void online() { urcu_qsbr_thread_online(); }
    void offline() { urcu_qsbr_thread_offline(); }
    void quiescent() { urcu_qsbr_quiescent_state(); }
};

} // namespace scythe::bench
