# `cmake --build build --target coverage` after `ctest`: prints the line coverage of each file
# of host/ and sdk/, then the totals of host/, of sdk/ and of both; writes an HTML report to
# build/coverage/index.html. Counts add up over ctest runs in the same build tree.
if(NOT TASKHOST_COVERAGE)
  return()
endif()
find_program(GCOVR gcovr)
if(NOT GCOVR)
  message(WARNING "TASKHOST_COVERAGE is on but gcovr is missing (apt-get install gcovr): "
                  "no 'coverage' target")
  return()
endif()
set(_cov_dir ${CMAKE_BINARY_DIR}/coverage)
set(_cov_json ${_cov_dir}/coverage.json)
# Filters are relative to the working directory (the source tree), so the path of the
# tree itself is never read as a regular expression.
set(_cov_read ${GCOVR} --root ${CMAKE_SOURCE_DIR} --add-tracefile ${_cov_json})
add_custom_target(coverage
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_cov_dir}
  # one pass of gcov over the build tree, kept as JSON
  COMMAND ${GCOVR} --root ${CMAKE_SOURCE_DIR} --filter host/ --filter sdk/
          --json ${_cov_json} ${CMAKE_BINARY_DIR}
  COMMAND ${_cov_read} --txt --html-details ${_cov_dir}/index.html
  COMMAND ${CMAKE_COMMAND} -E echo "Coverage of host/:"
  COMMAND ${_cov_read} --filter host/ --txt ${_cov_dir}/host.txt --print-summary
  COMMAND ${CMAKE_COMMAND} -E echo "Coverage of sdk/:"
  COMMAND ${_cov_read} --filter sdk/ --txt ${_cov_dir}/sdk.txt --print-summary
  COMMAND ${CMAKE_COMMAND} -E echo "Coverage of host/ and sdk/:"
  COMMAND ${_cov_read} --txt ${_cov_dir}/total.txt --print-summary
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  COMMENT "Coverage of host/ and sdk/ (report: ${_cov_dir}/index.html)"
  VERBATIM)
