// Relacy adapter for the lockfree/ headers: RlAtom<T> (an std::atomic-shaped wrapper around
// rl::atomic<T>) and RlPlatform (a Platform where Relacy's threads play CPUs).
//
// Include this AFTER the lockfree headers under test: relacy.hpp defines macros (memory_order_*,
// new, delete, assert, ...) that would rewrite them. They are undefined again below so the rest of
// the model file is ordinary C++.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <source_location>
#include <string>

#include <relacy/relacy.hpp>

#undef memory_order_relaxed
#undef memory_order_consume
#undef memory_order_acquire
#undef memory_order_release
#undef memory_order_acq_rel
#undef memory_order_seq_cst
#undef new
#undef delete
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef assert
#undef errno

namespace scythe::lf::model {

inline rl::memory_order to_rl(std::memory_order mo) {
    switch (mo) {
    case std::memory_order::relaxed:
        return rl::mo_relaxed;
    case std::memory_order::consume:
        return rl::mo_consume;
    case std::memory_order::acquire:
        return rl::mo_acquire;
    case std::memory_order::release:
        return rl::mo_release;
    case std::memory_order::acq_rel:
        return rl::mo_acq_rel;
    case std::memory_order::seq_cst:
        return rl::mo_seq_cst;
    }
    return rl::mo_seq_cst;
}

// Relacy reports the caller's line (the lockfree/ header), taken from the default argument.
inline rl::debug_info here(const std::source_location& l) {
    return rl::debug_info(l.function_name(), l.file_name(), l.line());
}

template <class T>
class RlAtom : public rl::atomic<T> {
    using Base = rl::atomic<T>;
    using SL = std::source_location;
    static constexpr std::memory_order sc = std::memory_order::seq_cst;

public:
    RlAtom() : Base(T{}) {}
    RlAtom(T v) : Base(v) {} // NOLINT: implicit like std::atomic

    T load(std::memory_order mo = sc, SL l = SL::current()) const {
        return Base::load(to_rl(mo), here(l));
    }
    void store(T v, std::memory_order mo = sc, SL l = SL::current()) {
        Base::store(v, to_rl(mo), here(l));
    }
    T exchange(T v, std::memory_order mo = sc, SL l = SL::current()) {
        return Base::exchange(v, to_rl(mo), here(l));
    }
    bool compare_exchange_weak(T& e, T d, std::memory_order s, std::memory_order f,
                               SL l = SL::current()) {
        return Base::compare_exchange_weak(e, d, to_rl(s), here(l), to_rl(f), here(l));
    }
    bool compare_exchange_strong(T& e, T d, std::memory_order s, std::memory_order f,
                                 SL l = SL::current()) {
        return Base::compare_exchange_strong(e, d, to_rl(s), here(l), to_rl(f), here(l));
    }
    template <class U>
    T fetch_add(U v, std::memory_order mo = sc, SL l = SL::current()) {
        return Base::fetch_add(v, to_rl(mo), here(l));
    }
    template <class U>
    T fetch_sub(U v, std::memory_order mo = sc, SL l = SL::current()) {
        return Base::fetch_sub(v, to_rl(mo), here(l));
    }
};

// Relacy threads play CPUs 0..kMaxCpus-1.
struct RlPlatform {
    static constexpr std::size_t kMaxCpus = 4;
    static std::size_t max_cpus() noexcept { return kMaxCpus; }
    static std::size_t cpu_id() noexcept { return rl::thread_index(); }
    static void cpu_relax() noexcept { rl::yield(1, RL_INFO); }
    struct PreemptGuard {
        PreemptGuard() = default;
        PreemptGuard(const PreemptGuard&) = delete;
        PreemptGuard& operator=(const PreemptGuard&) = delete;
    };
    struct IrqGuard {
        IrqGuard() = default;
        IrqGuard(const IrqGuard&) = delete;
        IrqGuard& operator=(const IrqGuard&) = delete;
    };
    [[noreturn]] static void assert_fail(const char* expr, const char*, int) {
        rl::ctx().fail_test(expr, rl::test_result_user_assert_failed, RL_INFO);
        std::abort(); // fail_test switches to the main fiber and never returns
    }
    static void wait(std::atomic<std::uint32_t>&, std::uint32_t) { rl::yield(1, RL_INFO); }
    static void wake_all(std::atomic<std::uint32_t>&) {}
};

inline int& model_counter() {
    static int n = 0;
    return n;
}

// Runs one model. expect_failure: the test passes only if Relacy reports a violation (data race,
// failed assertion, ...). Returns true if the outcome is the expected one.
template <class Model>
bool run_model(const char* name, rl::test_params params, bool expect_failure) {
    std::printf("=== %s (%s)\n", name, expect_failure ? "must FAIL" : "must pass");
    std::fflush(stdout);
    // Relacy prints the whole history of a failing run: send it to a log file (its buffer is
    // allocated here, outside the simulation: Relacy intercepts allocation inside it, so a growing
    // std::ostringstream breaks) and echo only the lines naming the violation.
    const std::string log_path =
        std::string("relacy_") + std::to_string(model_counter()++) + ".log";
    {
        std::ofstream out(log_path, std::ios::trunc);
        params.output_stream = &out;
        params.progress_stream = &out;
        rl::simulate<Model>(params);
    }
    std::ifstream lines(log_path);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("DATA RACE") != std::string::npos ||
            line.find("ASSERT") != std::string::npos ||
            line.find("assertion") != std::string::npos ||
            line.find("total time") != std::string::npos)
            std::printf("    %s\n", line.c_str());
    }
    bool failed = params.test_result != rl::test_result_success;
    bool ok = failed == expect_failure;
    std::printf("=== %s: Relacy result '%s' after %llu iterations -> %s\n\n", name,
                rl::test_result_str(params.test_result),
                static_cast<unsigned long long>(params.stop_iteration),
                ok ? "as expected" : "UNEXPECTED");
    std::fflush(stdout);
    return ok;
}

} // namespace scythe::lf::model
