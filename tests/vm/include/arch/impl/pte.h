// Host tests of kernel/vm model x86-64 page-table entries: the same format.
#pragma once

#include "../../../../../arch/x86_64/include/arch/impl/pte.h"
