# Compiler and linker flags for freestanding kernel code, as one INTERFACE
# target. The kernel links it, and so does freestanding_check, which compiles
# every lockfree/ and smp/ header with exactly these flags so that a hosted
# dependency is caught by the build rather than by the kernel link.
add_library(scythe_kernel_flags INTERFACE)

set(SCYTHE_KERNEL_CXX_FLAGS
  # No hosted library: no libstdc++ runtime, no libc, no crt startup files.
  -ffreestanding
  # Nothing in the kernel can unwind a throw, and the tables cost space.
  -fno-exceptions
  # No typeinfo or dynamic_cast: nothing needs them and they pull in the ABI runtime.
  -fno-rtti
  # Interrupts and exceptions push onto the current stack without skipping
  # the 128-byte red zone below RSP, so leaf functions must not use it.
  -mno-red-zone
  # The kernel is linked in the top 2 GiB (0xffffffff80000000+): symbols fit
  # in sign-extended 32-bit immediates, which is what this model assumes.
  -mcmodel=kernel
  # Absolute addresses at a fixed link address; there is no dynamic loader.
  -fno-pie
  # Interrupt and trap entry does not save the FPU/SSE state, so the compiler
  # must not touch any register beyond the general-purpose ones.
  -mgeneral-regs-only
  # Backtraces (panic, exceptions) walk the RBP chain, so every function,
  # leaf functions included, keeps a frame pointer.
  -fno-omit-frame-pointer
  -mno-omit-leaf-frame-pointer
  # A tail call replaces the caller's frame, hiding it from backtraces.
  -fno-optimize-sibling-calls
  # The guard symbol and its failure handler come from libc; guard pages
  # under every kernel stack catch the overflows that matter here.
  -fno-stack-protector
  # Function-local statics must not call __cxa_guard_acquire (no runtime);
  # the kernel initialises them before other CPUs run.
  -fno-threadsafe-statics
  # No .eh_frame: nothing unwinds at run time (gdb reads .debug_frame from -g).
  -fno-asynchronous-unwind-tables
)
target_compile_options(scythe_kernel_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:${SCYTHE_KERNEL_CXX_FLAGS}>
  # Assembly is preprocessed by the C driver; it only needs to know it is not PIE.
  $<$<COMPILE_LANGUAGE:ASM>:-fno-pie>
)
target_link_options(scythe_kernel_flags INTERFACE
  # No crt0, no libc, no libstdc++: the kernel provides everything it calls.
  -nostdlib
  # A fixed-address executable, not a position-independent one.
  -no-pie
  # One loadable segment, pages at 4 KiB: the file stays small and the
  # Multiboot "a.out kludge" can load it as one contiguous image.
  -Wl,-z,max-page-size=0x1000
  -Wl,--build-id=none
  # That single segment is RWX by design (the kernel maps its own pages with
  # the right permissions in mmu_init); ld need not warn about it.
  -Wl,--no-warn-rwx-segments
  # The kernel's stacks are never executable; say so rather than let ld guess.
  -Wl,-z,noexecstack
)
