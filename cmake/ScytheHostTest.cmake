# Host test helpers. One configure builds each test three ways:
#   <name>       plain (optimised, assertions on)
#   <name>_tsan  ThreadSanitizer: a data race is a failure
#   <name>_asan  AddressSanitizer + UBSan + LeakSanitizer: a bad access or leak is a failure
# All three are registered with ctest, labelled host;plain / host;tsan / host;asan.

find_package(GTest REQUIRED)
find_package(Threads REQUIRED)

set(SCYTHE_SAN_tsan_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
set(SCYTHE_SAN_asan_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# scythe_host_test(NAME name SOURCES ... [LIBS ...] [SANITIZERS tsan asan] [TIMEOUT s] [LABELS ...])
# Tests must be deterministic: no sleeps as synchronisation, no timing asserts.
function(scythe_host_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;SANITIZERS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set(variants plain ${T_SANITIZERS})
  foreach(v IN LISTS variants)
    if(v STREQUAL "plain")
      set(tgt ${T_NAME})
    else()
      set(tgt ${T_NAME}_${v})
    endif()
    add_executable(${tgt} ${T_SOURCES})
    target_link_libraries(${tgt} PRIVATE scythe_warnings GTest::gtest GTest::gtest_main Threads::Threads ${T_LIBS})
    target_compile_options(${tgt} PRIVATE -fno-omit-frame-pointer)
    if(NOT v STREQUAL "plain")
      target_compile_options(${tgt} PRIVATE ${SCYTHE_SAN_${v}_FLAGS})
      target_link_options(${tgt} PRIVATE ${SCYTHE_SAN_${v}_FLAGS})
      # Assertions stay on in sanitizer builds whatever the build type.
      target_compile_options(${tgt} PRIVATE -UNDEBUG)
    endif()
    add_test(NAME ${tgt} COMMAND ${tgt})
    set_tests_properties(${tgt} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "host;${v};${T_LABELS}")
    if(v STREQUAL "tsan")
      set_tests_properties(${tgt} PROPERTIES ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1")
    elseif(v STREQUAL "asan")
      set_tests_properties(${tgt} PROPERTIES ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
    endif()
  endforeach()
endfunction()
