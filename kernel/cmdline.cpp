#include "kernel/cmdline.h"

#include "kernel/console.h"
#include "kernel/lib/string.h"

namespace kernel::cmdline {
namespace {

constexpr const char* kKnownKeys[] = {
    "console", "quiet",  "test",      "maxcpus",    "smp_timeout_ms", "nox2apic",
    "init",    "rdinit", "lifecycle", "watchdog_s", "pid_max",        "fail_fork",
};

constexpr int kMaxLine = 512;
constexpr int kMaxWords = 64;

char line[kMaxLine];      // as received
char words_buf[kMaxLine]; // the same, NUL-separated into words
const char* words[kMaxWords];
int word_count = 0;

// Length of the key part of a word ("key" in "key=value" or in "key").
size_t key_length(const char* word) {
    size_t n = 0;
    while (word[n] && word[n] != '=')
        n++;
    return n;
}

bool key_is(const char* word, const char* key) {
    const size_t n = key_length(word);
    return strlen(key) == n && strncmp(word, key, n) == 0;
}

bool known(const char* word) {
    for (const char* key : kKnownKeys)
        if (key_is(word, key))
            return true;
    return false;
}

} // namespace

bool is_kernel_word(const char* word) {
    return known(word);
}

void parse(const char* text) {
    strlcpy(line, text ? text : "", sizeof line);
    strlcpy(words_buf, line, sizeof words_buf);
    word_count = 0;
    char* p = words_buf;
    while (*p && word_count < kMaxWords) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        words[word_count++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (word_count > 0 && !known(words[0]) && !strchr(words[0], '=')) {
        // The loader's image path, not an option.
        for (int i = 1; i < word_count; i++)
            words[i - 1] = words[i];
        word_count--;
    }
}

void report_problems() {
    for (int i = 0; i < word_count; i++) {
        if (known(words[i]))
            continue;
        bool seen = false; // report each unknown word once
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(words[i], words[j]) == 0;
        if (!seen)
            kprintf("cmdline: ignoring unknown option '%s'\n", words[i]);
    }
    const char* console = value("console");
    if (console && strcmp(console, "ttyS0") != 0)
        kprintf("cmdline: console=%s not supported, using ttyS0\n", console);
}

const char* raw() {
    return line;
}

const char* value(const char* key) {
    for (int i = word_count - 1; i >= 0; i--) {
        if (!key_is(words[i], key))
            continue;
        const char* v = words[i] + key_length(words[i]);
        return *v == '=' ? v + 1 : v;
    }
    return nullptr;
}

bool has(const char* key) {
    return value(key) != nullptr;
}

bool equals(const char* key, const char* expected) {
    const char* v = value(key);
    return v && strcmp(v, expected) == 0;
}

uint64_t number(const char* key, uint64_t fallback) {
    const char* v = value(key);
    if (!v || !*v)
        return fallback;
    uint64_t n = 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return fallback;
        n = n * 10 + uint64_t(*v - '0');
    }
    return n;
}

} // namespace kernel::cmdline
