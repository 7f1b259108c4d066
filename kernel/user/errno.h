// Linux's errno numbers (asm-generic/errno-base.h, errno.h): system calls
// return -errno, and user programs built against musl read these values.
#pragma once

namespace kernel::user {

inline constexpr long kEPERM = 1;
inline constexpr long kENOENT = 2;
inline constexpr long kESRCH = 3;
inline constexpr long kEINTR = 4;
inline constexpr long kEIO = 5;
inline constexpr long kENOEXEC = 8;
inline constexpr long kEBADF = 9;
inline constexpr long kECHILD = 10;
inline constexpr long kEAGAIN = 11;
inline constexpr long kENOMEM = 12;
inline constexpr long kEACCES = 13;
inline constexpr long kEFAULT = 14;
inline constexpr long kEEXIST = 17;
inline constexpr long kENOTDIR = 20;
inline constexpr long kEINVAL = 22;
inline constexpr long kENOTTY = 25;
inline constexpr long kENOSYS = 38;
inline constexpr long kE2BIG = 7;

} // namespace kernel::user
