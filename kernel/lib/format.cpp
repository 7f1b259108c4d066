#include "kernel/lib/format.h"

#include <stdint.h>

namespace kernel {
namespace {

class Out {
public:
    Out(char* buf, size_t size) : buf_(buf), cap_(size ? size - 1 : 0) {}
    void put(char c) {
        if (len_ < cap_)
            buf_[len_++] = c;
    }
    void pad(char c, int n) {
        for (; n > 0; n--)
            put(c);
    }
    size_t finish() {
        if (cap_ || len_)
            buf_[len_] = '\0';
        return len_;
    }

private:
    char* buf_;
    size_t cap_;
    size_t len_ = 0;
};

struct Spec {
    int width = 0;
    int precision = -1; // strings: at most this many characters
    bool zero = false;
    bool left = false;
    bool alt = false; // '#': 0x before hex
};

void emit(Out& out, const Spec& spec, const char* text, int len, const char* prefix = "") {
    int prefix_len = 0;
    while (prefix[prefix_len])
        prefix_len++;
    const int padding = spec.width - len - prefix_len;
    if (!spec.left && !spec.zero)
        out.pad(' ', padding);
    for (int i = 0; i < prefix_len; i++)
        out.put(prefix[i]);
    if (!spec.left && spec.zero)
        out.pad('0', padding);
    for (int i = 0; i < len; i++)
        out.put(text[i]);
    if (spec.left)
        out.pad(' ', padding);
}

void emit_number(Out& out, const Spec& spec, uint64_t value, unsigned base, bool upper,
                 bool negative, const char* prefix = "") {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[value % base];
        value /= base;
    } while (value);
    char text[24];
    for (int i = 0; i < n; i++)
        text[i] = tmp[n - 1 - i];
    emit(out, spec, text, n, negative ? "-" : prefix);
}

} // namespace

size_t vformat(char* buf, size_t size, const char* fmt, va_list args) {
    Out out(buf, size);
    for (const char* p = fmt; *p; p++) {
        if (*p != '%') {
            out.put(*p);
            continue;
        }
        Spec spec;
        p++;
        for (;; p++) {
            if (*p == '0')
                spec.zero = true;
            else if (*p == '-')
                spec.left = true;
            else if (*p == '#')
                spec.alt = true;
            else
                break;
        }
        while (*p >= '0' && *p <= '9')
            spec.width = spec.width * 10 + (*p++ - '0');
        if (*p == '.') {
            spec.precision = 0;
            for (p++; *p >= '0' && *p <= '9'; p++)
                spec.precision = spec.precision * 10 + (*p - '0');
        }
        int longness = 0; // 0: int, 1: long, 2: long long; size_t is long here
        while (*p == 'l' || *p == 'z') {
            longness++;
            p++;
        }
        auto take_unsigned = [&]() -> uint64_t {
            if (longness >= 2)
                return va_arg(args, unsigned long long);
            if (longness == 1)
                return va_arg(args, unsigned long);
            return va_arg(args, unsigned int);
        };
        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v = longness >= 2   ? va_arg(args, long long)
                        : longness == 1 ? va_arg(args, long)
                                        : va_arg(args, int);
            const bool neg = v < 0;
            emit_number(out, spec, neg ? uint64_t(0) - uint64_t(v) : uint64_t(v), 10, false, neg);
            break;
        }
        case 'u':
            emit_number(out, spec, take_unsigned(), 10, false, false);
            break;
        case 'x':
        case 'X':
            emit_number(out, spec, take_unsigned(), 16, *p == 'X', false, spec.alt ? "0x" : "");
            break;
        case 'p': {
            Spec ptr_spec = spec;
            if (!ptr_spec.width) {
                ptr_spec.width = 18; // 0x + 16 digits: addresses line up
                ptr_spec.zero = true;
            }
            emit_number(out, ptr_spec, reinterpret_cast<uintptr_t>(va_arg(args, void*)), 16, false,
                        false, "0x");
            break;
        }
        case 's': {
            const char* s = va_arg(args, const char*);
            if (!s)
                s = "(null)";
            int len = 0;
            while (s[len] && (spec.precision < 0 || len < spec.precision))
                len++;
            Spec str_spec = spec;
            str_spec.zero = false;
            emit(out, str_spec, s, len);
            break;
        }
        case 'c': {
            const char c = char(va_arg(args, int));
            emit(out, spec, &c, 1);
            break;
        }
        case '%':
            out.put('%');
            break;
        case '\0':
            return out.finish();
        default: // unknown conversion: show it rather than guess its argument
            out.put('%');
            out.put(*p);
            break;
        }
    }
    return out.finish();
}

size_t format(char* buf, size_t size, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    const size_t n = vformat(buf, size, fmt, args);
    va_end(args);
    return n;
}

} // namespace kernel
