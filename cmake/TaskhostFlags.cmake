# Compiler flags shared by every target of this tree: warnings are errors,
# optional sanitizers and coverage.

set(TASKHOST_WARNINGS -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wpointer-arith
    -Wcast-qual -Wundef)
set(TASKHOST_C_WARNINGS ${TASKHOST_WARNINGS} -Wstrict-prototypes -Wmissing-prototypes
    -Wold-style-definition)

add_compile_options(
  "$<$<COMPILE_LANGUAGE:C>:${TASKHOST_C_WARNINGS}>"
  "$<$<COMPILE_LANGUAGE:CXX>:${TASKHOST_WARNINGS}>")
add_compile_definitions(_POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)

if(TASKHOST_SANITIZE)
  if(TASKHOST_SANITIZE STREQUAL "thread")
    set(_san -fsanitize=thread)
  elseif(TASKHOST_SANITIZE STREQUAL "address,undefined")
    set(_san -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  else()
    message(FATAL_ERROR "TASKHOST_SANITIZE must be empty, 'address,undefined' or 'thread', "
                        "not '${TASKHOST_SANITIZE}'")
  endif()
  add_compile_options(${_san} -fno-omit-frame-pointer -g)
  add_link_options(${_san})
endif()

# TASKHOST_FUZZ: everything (taskhost_core included) is instrumented for libFuzzer's coverage
# and checked by ASan+UBSan; only the fuzz targets of tests/fuzz link libFuzzer itself.
if(TASKHOST_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TASKHOST_FUZZ needs clang (libFuzzer), not ${CMAKE_C_COMPILER_ID}: "
                        "cmake -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ ...")
  endif()
  if(TASKHOST_SANITIZE)
    message(FATAL_ERROR "TASKHOST_FUZZ brings its own sanitizers: leave TASKHOST_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()

if(TASKHOST_COVERAGE)
  add_compile_options(--coverage -O0 -g)
  add_link_options(--coverage)
endif()
