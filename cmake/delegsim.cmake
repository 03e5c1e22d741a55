# Helpers shared by every folder: one library target per folder, one helper per test.

set(DELEGSIM_WARNINGS -Wall -Wextra -Wpedantic)
if(DELEGSIM_WERROR)
  list(APPEND DELEGSIM_WARNINGS -Werror)
endif()
if(DELEGSIM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "DELEGSIM_FUZZ needs clang (libFuzzer): CXX=clang++ cmake ...")
  endif()
  # Every library is instrumented for coverage; the fuzzer executables link libFuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(DELEGSIM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# delegsim_library(NAME SOURCES... DEPS ...): target delegsim_NAME, alias delegsim::NAME,
# includes from the repository root (#include "kdc/ticket.h").
function(delegsim_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(delegsim_${name} STATIC ${ARG_SOURCES})
  add_library(delegsim::${name} ALIAS delegsim_${name})
  target_include_directories(delegsim_${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_compile_options(delegsim_${name} PRIVATE ${DELEGSIM_WARNINGS})
  target_link_libraries(delegsim_${name} PUBLIC ${ARG_DEPS})
endfunction()

# delegsim_test(NAME SOURCES... DEPS ...): a GoogleTest binary registered with CTest.
function(delegsim_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PROPERTIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${DELEGSIM_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock_main)
  # tests/scenario_library.h: the source tree when CTest's DELEGSIM_SOURCE_DIR is not set.
  target_compile_definitions(${name} PRIVATE DELEGSIM_BUILT_FROM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "DELEGSIM_SOURCE_DIR=${PROJECT_SOURCE_DIR}" TIMEOUT 120 ${ARG_PROPERTIES})
endfunction()

# delegsim_fast_malloc(TARGET): links jemalloc into an executable. A hop allocates many small
# protobuf strings and messages; jemalloc runs the simulator about 40% faster than glibc's
# malloc (bench/). Skipped in sanitizer builds, which bring their own allocator.
function(delegsim_fast_malloc target)
  if(DELEGSIM_JEMALLOC AND NOT DELEGSIM_SANITIZE AND NOT DELEGSIM_FUZZ)
    find_library(DELEGSIM_JEMALLOC_LIBRARY NAMES jemalloc)
    if(DELEGSIM_JEMALLOC_LIBRARY)
      target_link_libraries(${target} PRIVATE ${DELEGSIM_JEMALLOC_LIBRARY})
    else()
      message(WARNING "jemalloc not found: ${target} uses the system allocator")
    endif()
  endif()
endfunction()
