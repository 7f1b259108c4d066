# Tests of lockfree/rcu.h and lockfree/rcu_hash.h (included from tests/lockfree/CMakeLists.txt).
# Unit and stress tests run plain, under TSan and under ASan+UBSan; Relacy models plain only.

set(_rcu ${CMAKE_CURRENT_LIST_DIR})

foreach(t test_rcu test_rcu_hash test_linearizability)
  if(EXISTS ${_rcu}/${t}.cc)
    scythe_host_test(NAME lf_${t} SOURCES ${_rcu}/${t}.cc LIBS scythe_lockfree
                     SANITIZERS tsan asan TIMEOUT 120 LABELS lockfree unit rcu)
  endif()
endforeach()

# Stress: 16 threads playing CPUs, bounded by operation counts (no sleeps, no timing asserts).
foreach(t stress_rcu stress_rcu_hash)
  if(EXISTS ${_rcu}/${t}.cc)
    scythe_host_test(NAME lf_${t} SOURCES ${_rcu}/${t}.cc LIBS scythe_lockfree
                     SANITIZERS tsan asan TIMEOUT 300 LABELS lockfree stress rcu)
  endif()
endforeach()
