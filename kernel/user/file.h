// Open files behind a process's fds: the console (fds 0-2 of init) and
// pipes. A File is shared by every fd and every process that holds it
// (fork copies the table) and counted; the last put closes it.
#pragma once

#include <atomic>
#include <stddef.h>
#include <stdint.h>

namespace kernel::user {

struct Pipe;
struct Process;

struct File {
    enum class Kind : uint8_t { Console, PipeRead, PipeWrite };
    Kind kind = Kind::Console;
    std::atomic<uint32_t> refs{1};
    Pipe* pipe = nullptr;
};

File* console_file();    // a new reference to the console
File* file_get(File* f); // one more reference
void file_put(File* f);  // drops one; the last closes (a pipe end wakes the other side)

long file_read(File* f, uintptr_t buf, size_t len);  // bytes, 0 at end of file, or -errno
long file_write(File* f, uintptr_t buf, size_t len); // bytes or -errno (EPIPE: no readers)

// Both ends of a new pipe (one reference each), or -ENOMEM.
long pipe_create(File** read_end, File** write_end);

// The fd table of the running process, shared by its threads (under its
// fd_lock; a File's own reference count keeps it alive while in use).
File* fd_get(int fd);                // a new reference, or nullptr if not open
File* fd_take(int fd);               // removes fd from the table: its reference, or nullptr
int fd_install(Process* p, File* f); // lowest free fd (takes the reference), or -EMFILE
void fds_copy(Process* child, Process* parent); // fork: every open fd, one more reference each
void fds_close_all(Process* p);

// Live pipes and files, for the leak report at power-off.
uint64_t live_files();

} // namespace kernel::user
