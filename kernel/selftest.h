// Boot self-tests, chosen with test=NAME on the command line. Each test either
// returns a power-off status (0: passed) or ends the machine itself (panic).
// Add a test: write a function in selftest.cpp and one line in kTests.
#pragma once

namespace kernel {

// Runs the test `name` and returns its status; false if there is no such test.
bool run_selftest(const char* name, int* status);

// Handler for arch::Ipi::Test: counts it, and panics when test=ap_panic armed it.
void on_test_ipi();

} // namespace kernel
