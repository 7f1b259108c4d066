# Warnings for project code, treated as errors. Linked (INTERFACE) into every
# project target; third-party headers come in as SYSTEM includes and stay quiet.
add_library(scythe_warnings INTERFACE)
target_compile_options(scythe_warnings INTERFACE
  -Wall -Wextra -Werror
  -Wshadow            # a shadowed name in lock-free code is a bug waiting to happen
  -Wnon-virtual-dtor
  -Wcast-align
  -Wnull-dereference
  -Wdouble-promotion
  -Wformat=2
  -Wimplicit-fallthrough
  -Wno-missing-field-initializers  # designated initialisers leave fields zero on purpose
)
