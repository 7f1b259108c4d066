// The initramfs: a newc cpio archive (QEMU -initrd, a Multiboot module) read
// in place as a read-only table of files. Nothing is copied: the archive's
// pages stay reserved and entries point into them through the direct map.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace kernel::user {

struct RamFile {
    const char* path; // without a leading "/" or "./", NUL-terminated inside the archive
    const uint8_t* data;
    size_t size;
    uint32_t mode; // st_mode: type and permissions
};

// Parses the archive at physical [start, end). Returns the number of entries
// taken, or -1 if the data is not a newc archive (a message says why).
int initramfs_load(uint64_t start, uint64_t end);

// The entry for `path` ("/init", "bin/x", "./bin/x" alike), or nullptr.
const RamFile* initramfs_find(const char* path);
inline bool ramfile_is_regular(const RamFile& f) {
    return (f.mode & 0170000) == 0100000;
}

} // namespace kernel::user
