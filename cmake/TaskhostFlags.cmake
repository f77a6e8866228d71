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

if(TASKHOST_COVERAGE)
  add_compile_options(--coverage -O0 -g)
  add_link_options(--coverage)
endif()
