# The plugin ABI moves only on purpose: TH_ABI_VERSION in
# sdk/include/taskhost/plugin.h must equal the number recorded in
# packaging/abi-version, or the configuration fails. Changing the ABI is then
# two edits in one commit (see packaging/VERSIONING.md), and a review sees
# both. Sets TASKHOST_ABI_VERSION (an internal cache variable, so that every
# directory sees it). Included by sdk/CMakeLists.txt.
set(_abi_header "${PROJECT_SOURCE_DIR}/sdk/include/taskhost/plugin.h")
set(_abi_record "${CMAKE_CURRENT_LIST_DIR}/abi-version")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_abi_header}" "${_abi_record}")

file(STRINGS "${_abi_header}" _abi_defines REGEX "^#define TH_ABI_VERSION ")
list(LENGTH _abi_defines _abi_count)
if(NOT _abi_count EQUAL 1 OR NOT _abi_defines MATCHES "^#define TH_ABI_VERSION ([0-9]+)u?[ \t]*$")
  message(FATAL_ERROR "${_abi_header}: expected exactly one line `#define TH_ABI_VERSION <N>u`, "
                      "found: ${_abi_defines}")
endif()
set(_abi_in_header "${CMAKE_MATCH_1}")

file(STRINGS "${_abi_record}" _abi_recorded REGEX "^[0-9]+$")
if(NOT _abi_recorded MATCHES "^[0-9]+$")
  message(FATAL_ERROR "${_abi_record}: expected one line holding the plugin ABI number, "
                      "found \"${_abi_recorded}\"")
endif()

if(NOT _abi_in_header STREQUAL _abi_recorded)
  message(FATAL_ERROR
    "The plugin ABI changed: ${_abi_header} says TH_ABI_VERSION ${_abi_in_header}, "
    "${_abi_record} records ${_abi_recorded}.\n"
    "Changing the ABI makes every installed plugin refuse to load until it is rebuilt. "
    "If that is intended, write ${_abi_in_header} into packaging/abi-version, add a "
    "packaging/changelog entry saying so, and follow packaging/VERSIONING.md (the package "
    "then provides taskhost-plugin-abi-${_abi_in_header} instead of "
    "taskhost-plugin-abi-${_abi_recorded}). If not, put TH_ABI_VERSION back to "
    "${_abi_recorded}u: appending fields does not change the ABI.")
endif()
set(TASKHOST_ABI_VERSION "${_abi_in_header}" CACHE INTERNAL "plugin ABI (TH_ABI_VERSION)" FORCE)
