#include "kernel/user/initramfs.h"

#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/lib/string.h"

namespace kernel::user {
namespace {

constexpr int kMaxFiles = 256;
constexpr size_t kHeaderSize = 110; // "070701" + 13 fields of 8 hex digits

RamFile files[kMaxFiles];
int file_count = 0;

// One 8-digit hex field of a header; false if a digit is not hex.
bool hex_field(const char* p, uint32_t* out) {
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        const char c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

size_t align4(size_t n) {
    return (n + 3) & ~size_t(3);
}

const char* strip(const char* path) {
    for (;;) {
        if (path[0] == '/')
            path++;
        else if (path[0] == '.' && path[1] == '/')
            path += 2;
        else
            return path;
    }
}

} // namespace

int initramfs_load(uint64_t start, uint64_t end) {
    const char* base = static_cast<const char*>(arch::phys_to_virt(start));
    const size_t size = end - start;
    size_t off = 0;
    file_count = 0;
    while (off + kHeaderSize <= size) {
        const char* h = base + off;
        if (memcmp(h, "070701", 6) != 0) {
            kprintf("initramfs: bad magic at offset %zu (newc cpio expected)\n", off);
            return -1;
        }
        uint32_t f[13];
        for (int i = 0; i < 13; i++) {
            if (!hex_field(h + 6 + 8 * i, &f[i])) {
                kprintf("initramfs: bad header at offset %zu\n", off);
                return -1;
            }
        }
        const uint32_t mode = f[1], filesize = f[6], namesize = f[11];
        const size_t name_off = off + kHeaderSize;
        const size_t data_off = align4(name_off + namesize);
        if (namesize == 0 || data_off > size || filesize > size - data_off ||
            base[name_off + namesize - 1] != '\0') {
            kprintf("initramfs: truncated entry at offset %zu\n", off);
            return -1;
        }
        const char* name = base + name_off;
        if (strcmp(name, "TRAILER!!!") == 0)
            return file_count;
        if (file_count == kMaxFiles) {
            kprintf("initramfs: more than %d entries, the rest ignored\n", kMaxFiles);
            return file_count;
        }
        files[file_count++] = {strip(name), reinterpret_cast<const uint8_t*>(base + data_off),
                               filesize, mode};
        off = align4(data_off + filesize);
    }
    kprintf("initramfs: no trailer (archive truncated?)\n");
    return file_count;
}

const RamFile* initramfs_find(const char* path) {
    path = strip(path);
    for (int i = 0; i < file_count; i++)
        if (strcmp(files[i].path, path) == 0)
            return &files[i];
    return nullptr;
}

} // namespace kernel::user
