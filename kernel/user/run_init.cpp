#include "kernel/user/run_init.h"

#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/proc/lifecycle.h"
#include "kernel/sched/waitq.h"
#include "kernel/user/init_args.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"

namespace kernel::user {
namespace {

// Status when there is no init to run (distinct from a panic's 3).
constexpr int kNoInitStatus = 4;

} // namespace

void early_init() {
    process_init();
    proc::early_init();
}

int run_init(const BootInfo& boot) {
    const BootModule& m = boot.modules[0];
    const int files = initramfs_load(m.start, m.end);
    if (files < 0)
        return kNoInitStatus;
    kinfo("initramfs: %d entries from '%s'\n", files, m.name);
    user_mode_init_all_cpus();
    proc::start_reapers();

    static InitArgs args;
    split_init_args(cmdline::raw(), &args);
    const long pid = spawn_process(args.path, args.argv, args.envp);
    if (pid < 0) {
        kprintf("user: cannot run %s as init: error %ld\n", args.path, -pid);
        return kNoInitStatus;
    }
    kinfo("user: started %s as pid %ld\n", args.path, pid);
    // This thread has nothing left to do: init's exit or reboot powers off.
    static sched::WaitQueue forever;
    forever.wait_until([] { return false; });
    return kNoInitStatus;
}

} // namespace kernel::user
