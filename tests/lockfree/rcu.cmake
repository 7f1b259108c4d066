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

# Relacy model of the grace-period handshake: the real rcu.h on rl::atomic (relacy_atom.h).
# lf_model_rcu must pass; lf_model_rcu_weak runs the same models with the reader's report and the
# detector's scan relaxed and passes only if Relacy reports the violation.
find_path(SCYTHE_RELACY_INCLUDE relacy/relacy.hpp)
if(SCYTHE_RELACY_INCLUDE AND EXISTS ${_rcu}/model_rcu.cc)
  add_executable(lf_model_rcu ${_rcu}/model_rcu.cc)
  target_link_libraries(lf_model_rcu PRIVATE scythe_lockfree)
  # Relacy's headers are not warning-clean: SYSTEM include, no -Werror.
  target_include_directories(lf_model_rcu SYSTEM PRIVATE ${SCYTHE_RELACY_INCLUDE})
  target_compile_options(lf_model_rcu PRIVATE -Wall -Wextra -Wno-unused-parameter)
  add_test(NAME lf_model_rcu COMMAND lf_model_rcu)
  add_test(NAME lf_model_rcu_weak COMMAND lf_model_rcu weak)
  set_tests_properties(lf_model_rcu lf_model_rcu_weak PROPERTIES TIMEOUT 60 LABELS "host;model;lockfree;rcu")
endif()
