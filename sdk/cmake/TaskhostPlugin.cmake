# taskhost_add_plugin(<name> SOURCES <files...>)
#
# Builds a taskhost plugin the way the host expects it: a MODULE library named
# <name>.so (no "lib" prefix), compiled with hidden visibility and linked with
# a version script so that only the entry symbol (taskhost_plugin_entry) is
# exported, and linked with --no-undefined so a plugin never depends on host
# symbols. Output goes to TASKHOST_PLUGIN_OUTPUT_DIR when that variable is
# set.
#
# This file ships in taskhost-dev; `find_package(taskhost)` includes it.
function(taskhost_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "taskhost_add_plugin(${name}): give its SOURCES")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE taskhost::sdk)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Hidden visibility does not reach everything: the C++ standard library
  # declares its templates with default visibility, so their instantiations
  # would be exported. The version script makes every symbol but the entry
  # local.
  set(map "${CMAKE_CURRENT_BINARY_DIR}/taskhost_plugin.map")
  file(CONFIGURE OUTPUT "${map}" CONTENT "{\n  global: taskhost_plugin_entry;\n  local: *;\n};\n")
  target_link_options(${name} PRIVATE "LINKER:--version-script=${map}")
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${map}")
  # Clang leaves the sanitizer runtimes to the executable, so a sanitized
  # module has undefined __asan_*/__ubsan_* symbols by design, and the C++
  # part of UBSan (vptr and function checks) is missing from a C host.
  get_property(link_opts DIRECTORY PROPERTY LINK_OPTIONS)
  if((CMAKE_C_COMPILER_ID MATCHES "Clang" OR CMAKE_CXX_COMPILER_ID MATCHES "Clang") AND
     "${link_opts} ${CMAKE_MODULE_LINKER_FLAGS}" MATCHES "-fsanitize=")
    target_compile_options(${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize=vptr,function>)
  else()
    target_link_options(${name} PRIVATE "LINKER:--no-undefined")
  endif()
  if(DEFINED TASKHOST_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${TASKHOST_PLUGIN_OUTPUT_DIR}")
  endif()
endfunction()
