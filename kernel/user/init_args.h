// The kernel command line as Linux hands it to init (init/main.c):
//  - words after " -- " go to init's argv unchanged;
//  - before it, words the kernel knows are the kernel's; `rdinit=` / `init=`
//    name the program to run (default /init);
//  - an unknown word whose name has a dot before any '=' is a module
//    parameter and is dropped;
//  - other unknown `key=value` words go to init's environment, after
//    HOME=/ and TERM=linux; other bare words go to its argv.
#pragma once

namespace kernel::user {

struct InitArgs {
    static constexpr int kMax = 64;
    const char* path = "/init";
    const char* argv[kMax + 2] = {}; // argv[0] is the path
    const char* envp[kMax + 3] = {};
};

// Fills `out` from the kernel command line (strings live in a static copy).
void split_init_args(const char* cmdline, InitArgs* out);

} // namespace kernel::user
