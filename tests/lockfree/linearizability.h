// tests/lockfree/linearizability.h: a small Wing-Gong linearizability checker with Lowe's
// memoisation (host-only test helper).
//
// A history is a list of completed operations, each with an invocation and a response
// timestamp taken from one global atomic counter (so timestamps are totally ordered and an
// operation that responded before another was invoked has a smaller response stamp). The
// checker searches for a sequential order that respects real time (a before b if a.response <
// b.invoke) and in which every operation's recorded result is what the sequential model gives.
//
// Algorithm (Wing & Gong 1993, Lowe 2017 "Testing for linearizability"): walk a list of call and
// return events in time order; at a call, try to linearize that operation now (model accepts
// its result), remove its call and return from the list and restart from the head; reaching a
// return means the pending operations cannot be ordered from here: backtrack. Lowe's cache of
// (set of linearized ops, model state) prunes configurations already shown to fail.
// Worst case exponential; split histories by key (split_by) to keep each search small.
// The cache keys the linearized set by a 128-bit Zobrist hash (XOR of per-operation random
// words), so a step costs O(1). A collision (probability ~2^-128 per pair) wrongly marks a
// configuration as visited, which can only prune a good branch: a false rejection, never a false
// acceptance.
// Pruning: an operation that is legal and leaves the state unchanged (a lookup, a failed insert)
// is linearized as soon as it is minimal, without a choice point: moving it earlier in any
// linearization keeps every result and every real-time constraint (all its predecessors are
// already placed), so backtracking never needs to try it later.
//
// Model concept:
//   typename M::State (copyable, ==, hashable via M::hash(const State&))
//   typename M::Op    (the operation with its arguments and recorded result)
//   static bool M::step(State& s, const Op& op): if `op` with its recorded result is legal
//   from s, update s and return true; otherwise return false (s may be clobbered).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace scythe::lin {

// One global clock for invoke/response stamps.
class Clock {
public:
    std::uint64_t tick() noexcept { return now_.fetch_add(1, std::memory_order_seq_cst); }

private:
    std::atomic<std::uint64_t> now_{0};
};

template <class Op>
struct Entry {
    std::uint64_t invoke = 0;
    std::uint64_t response = 0;
    Op op{};
};

template <class M>
class Checker {
public:
    using State = typename M::State;
    using Op = typename M::Op;

    // True if `h` (complete operations only) is linearizable from `init`.
    static bool check(const std::vector<Entry<Op>>& h, const State& init) {
        const std::size_t n = h.size();
        if (n == 0)
            return true;
        // Events: 2 per op, sorted by stamp; list nodes 1..2n with 0 as the head sentinel.
        struct Ev {
            std::uint64_t t;
            std::size_t op;
            bool call;
        };
        std::vector<Ev> evs;
        evs.reserve(2 * n);
        for (std::size_t i = 0; i < n; ++i) {
            evs.push_back({h[i].invoke, i, true});
            evs.push_back({h[i].response, i, false});
        }
        std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.t < b.t; });
        const std::size_t m = evs.size();
        std::vector<std::size_t> next(m + 1), prev(m + 1), ret_of(n), call_of(n);
        for (std::size_t i = 0; i <= m; ++i) {
            next[i] = i + 1; // m + 1 = end
            prev[i] = i == 0 ? 0 : i - 1;
        }
        for (std::size_t i = 0; i < m; ++i) {
            if (evs[i].call)
                call_of[evs[i].op] = i + 1;
            else
                ret_of[evs[i].op] = i + 1;
        }
        const std::size_t end = m + 1;
        auto lift = [&](std::size_t op) {
            for (std::size_t e : {call_of[op], ret_of[op]}) {
                next[prev[e]] = next[e];
                if (next[e] != end)
                    prev[next[e]] = prev[e];
            }
        };
        auto unlift = [&](std::size_t op) {
            for (std::size_t e : {ret_of[op], call_of[op]}) {
                next[prev[e]] = e;
                if (next[e] != end)
                    prev[next[e]] = e;
            }
        };

        auto mix = [](std::uint64_t z) { // splitmix64
            z += 0x9e3779b97f4a7c15ULL;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            return z ^ (z >> 31);
        };
        std::vector<std::uint64_t> z1(n), z2(n);
        for (std::size_t i = 0; i < n; ++i) {
            z1[i] = mix(2 * i);
            z2[i] = mix(2 * i + 1);
        }
        std::uint64_t set1 = 0, set2 = 0; // Zobrist hash of the linearized set
        struct Key {
            std::uint64_t h1, h2;
            State s;
            bool operator==(const Key& o) const { return h1 == o.h1 && h2 == o.h2 && s == o.s; }
        };
        struct KeyHash {
            std::size_t operator()(const Key& k) const { return k.h1 ^ (M::hash(k.s) * 31); }
        };
        std::unordered_set<Key, KeyHash> cache;
        struct Frame {
            std::size_t op;
            State before;
            bool forced; // state-preserving op placed without a choice point
        };
        std::vector<Frame> stack;
        State state = init;
        std::size_t e = next[0];
        while (next[0] != end) {
            if (e == end)
                return false; // cannot happen: a return is always reached first
            const Ev& ev = evs[e - 1];
            if (ev.call) {
                State s2 = state;
                bool ok = M::step(s2, h[ev.op].op);
                if (ok)
                    ok = cache.insert(Key{set1 ^ z1[ev.op], set2 ^ z2[ev.op], s2}).second;
                if (ok) {
                    set1 ^= z1[ev.op];
                    set2 ^= z2[ev.op];
                    stack.push_back({ev.op, state, s2 == state});
                    state = s2;
                    lift(ev.op);
                    e = next[0];
                } else {
                    e = next[e];
                }
            } else {
                // Undo forced placements, then the last real choice, and try its next alternative.
                for (;;) {
                    if (stack.empty())
                        return false;
                    const Frame f = stack.back();
                    stack.pop_back();
                    state = f.before;
                    set1 ^= z1[f.op];
                    set2 ^= z2[f.op];
                    unlift(f.op);
                    e = next[call_of[f.op]];
                    if (!f.forced)
                        break;
                }
            }
        }
        return true;
    }
};

// Split a history into per-key sub-histories (operations on different keys commute).
template <class Op, class KeyOf>
auto split_by(const std::vector<Entry<Op>>& h, KeyOf key_of) {
    std::map<decltype(key_of(h[0].op)), std::vector<Entry<Op>>> parts;
    for (const auto& e : h)
        parts[key_of(e.op)].push_back(e);
    return parts;
}

// A set of keys, checked one key at a time: the state is "is the key present".
struct SetModel {
    enum class Kind : std::uint8_t { kInsert, kRemove, kLookup };
    struct Op {
        Kind kind = Kind::kLookup;
        std::uint64_t key = 0;
        bool result = false; // insert: inserted; remove: removed; lookup: found
    };
    using State = bool;
    static std::size_t hash(const State& s) { return s ? 1 : 0; }
    static bool step(State& present, const Op& op) {
        switch (op.kind) {
        case Kind::kInsert:
            if (op.result == present)
                return false; // inserted iff absent
            present = true;
            return true;
        case Kind::kRemove:
            if (op.result != present)
                return false; // removed iff present
            present = false;
            return true;
        case Kind::kLookup:
            return op.result == present;
        }
        return false;
    }
};

// Check a set history key by key; returns the first failing key via *bad_key.
inline bool check_set_history(const std::vector<Entry<SetModel::Op>>& h,
                              std::uint64_t* bad_key = nullptr) {
    if (h.empty())
        return true;
    auto parts = split_by(h, [](const SetModel::Op& op) { return op.key; });
    for (auto& [k, part] : parts) {
        if (!Checker<SetModel>::check(part, false)) {
            if (bad_key != nullptr)
                *bad_key = k;
            return false;
        }
    }
    return true;
}

} // namespace scythe::lin
