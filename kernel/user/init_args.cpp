#include "kernel/user/init_args.h"

#include "kernel/cmdline.h"
#include "kernel/lib/string.h"

namespace kernel::user {
namespace {

char buffer[512];

bool starts_with(const char* s, const char* prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

// A dot in the name part (before '='): Linux takes it for a module parameter.
bool module_parameter(const char* w) {
    const char* dot = strchr(w, '.');
    const char* eq = strchr(w, '=');
    return dot && (!eq || dot < eq);
}

} // namespace

void split_init_args(const char* cmdline, InitArgs* out) {
    strlcpy(buffer, cmdline ? cmdline : "", sizeof buffer);
    int argc = 1, envc = 0;
    out->envp[envc++] = "HOME=/";
    out->envp[envc++] = "TERM=linux";
    const char* rdinit = nullptr;
    bool after_dashes = false, first = true;
    for (char* p = buffer; *p;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        char* w = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
        const bool was_first = first;
        first = false;
        if (after_dashes) {
            if (argc < InitArgs::kMax)
                out->argv[argc++] = w;
            continue;
        }
        if (strcmp(w, "--") == 0) {
            after_dashes = true;
            continue;
        }
        if (starts_with(w, "rdinit=")) {
            rdinit = w + 7;
            continue;
        }
        if (starts_with(w, "init=")) {
            out->path = w + 5;
            continue;
        }
        // The loader's image path, as kernel/cmdline.cpp skips it.
        if (was_first && !strchr(w, '=') && !cmdline::is_kernel_word(w))
            continue;
        if (cmdline::is_kernel_word(w) || module_parameter(w))
            continue;
        if (strchr(w, '=')) {
            if (envc < InitArgs::kMax)
                out->envp[envc++] = w;
        } else if (argc < InitArgs::kMax) {
            out->argv[argc++] = w;
        }
    }
    if (rdinit)
        out->path = rdinit;
    out->argv[0] = out->path;
    out->argv[argc] = nullptr;
    out->envp[envc] = nullptr;
}

} // namespace kernel::user
