// COM1 (16550 UART at 0x3f8), polled: the boot console behind arch/console.h.
#include "arch/console.h"
#include "x86.h"

namespace arch {
namespace {

constexpr uint16_t kCom1 = 0x3f8;
enum : uint16_t {
    kData = 0,
    kIrqEnable = 1,
    kFifo = 2,
    kLineCtl = 3,
    kModemCtl = 4,
    kLineStatus = 5
};
constexpr uint8_t kTxEmpty = 1 << 5;

void put(char c) {
    // A bounded wait: with no UART present the status never changes.
    for (int i = 0; i < 100000 && !(x86::inb(kCom1 + kLineStatus) & kTxEmpty); i++)
        asm volatile("pause");
    x86::outb(kCom1 + kData, uint8_t(c));
}

} // namespace

void console_init() {
    x86::outb(kCom1 + kIrqEnable, 0x00); // polled: no UART interrupts
    x86::outb(kCom1 + kLineCtl, 0x80);   // DLAB on to set the divisor
    x86::outb(kCom1 + kData, 0x01);      // 115200 baud (divisor 1)
    x86::outb(kCom1 + kIrqEnable, 0x00);
    x86::outb(kCom1 + kLineCtl, 0x03);  // 8 data bits, no parity, 1 stop bit
    x86::outb(kCom1 + kFifo, 0xc7);     // FIFOs on and cleared
    x86::outb(kCom1 + kModemCtl, 0x03); // DTR, RTS
}

void console_write(const char* text, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n')
            put('\r');
        put(text[i]);
    }
}

} // namespace arch
