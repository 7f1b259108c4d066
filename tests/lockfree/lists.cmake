# Tests of the lists, queues, counters, refcount and platform headers in lockfree/.
# Unit and stress tests run plain, under TSan and under ASan+UBSan (scythe_host_test); Relacy
# model checks run plain only (Relacy is its own scheduler and race detector), label `model`.

set(_lf ${CMAKE_CURRENT_LIST_DIR})

foreach(t test_platform test_dead_list test_percpu_queue test_mpsc_queue test_refcount test_percpu_counter)
  scythe_host_test(NAME lf_${t} SOURCES ${_lf}/${t}.cc LIBS scythe_lockfree
                   SANITIZERS tsan asan TIMEOUT 120 LABELS lockfree unit)
endforeach()

# Stress: 16 threads playing CPUs on however many cores there are, bounded by operation counts.
foreach(t stress_dead_list stress_percpu_queue stress_mpsc_queue stress_refcount)
  scythe_host_test(NAME lf_${t} SOURCES ${_lf}/${t}.cc LIBS scythe_lockfree
                   SANITIZERS tsan asan TIMEOUT 300 LABELS lockfree stress)
endforeach()

# Relacy models: the real headers instantiated with rl::atomic (relacy_atom.h). Each binary checks
# the correct orderings pass and deliberately weakened ones are caught.
find_path(SCYTHE_RELACY_INCLUDE relacy/relacy.hpp)
if(SCYTHE_RELACY_INCLUDE)
  foreach(m model_dead_list model_percpu_queue model_mpsc_queue)
    add_executable(lf_${m} ${_lf}/${m}.cc)
    target_link_libraries(lf_${m} PRIVATE scythe_lockfree)
    # Relacy's own headers are not warning-clean: SYSTEM include, and no -Werror set here.
    target_include_directories(lf_${m} SYSTEM PRIVATE ${SCYTHE_RELACY_INCLUDE})
    target_compile_options(lf_${m} PRIVATE -Wall -Wextra -Wno-unused-parameter)
    add_test(NAME lf_${m} COMMAND lf_${m})
    set_tests_properties(lf_${m} PROPERTIES TIMEOUT 120 LABELS "host;model;lockfree")
  endforeach()
else()
  message(WARNING "relacy/relacy.hpp not found: lockfree model checks are not built")
endif()
