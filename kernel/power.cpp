#include "kernel/power.h"

#include "arch/power.h"
#include "kernel/console.h"

namespace kernel {

void power_off(int status) {
    kprintf("scythe: power off, status %d\n", status);
    arch::power_off(status);
}

} // namespace kernel
