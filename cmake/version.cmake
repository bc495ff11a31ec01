# The commit labctl was built from, for `labctl version` and evidence manifests.
execute_process(COMMAND git describe --tags --always --dirty
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  OUTPUT_VARIABLE LABCTL_GIT_DESCRIBE OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT LABCTL_GIT_DESCRIBE)
  set(LABCTL_GIT_DESCRIBE "unknown")
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/build_info.hpp.in ${CMAKE_BINARY_DIR}/generated/core/build_info.hpp @ONLY)
