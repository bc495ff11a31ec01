# LABCTL_FAST_BUILD: cuts compile time without changing what is compiled. Every translation unit
# here spends most of its 10-30 s parsing and instantiating the same few heavy headers
# (nlohmann/json, CLI11, GoogleTest), so:
# - unity builds: each product library compiles its sources in batches of LABCTL_UNITY_BATCH
#   files, so the headers are parsed and their templates instantiated once per batch, not once
#   per file (test targets are not batched: many test files define helpers of the same name in
#   their anonymous namespaces; they get the precompiled header only);
# - precompiled headers, built once and shared (REUSE_FROM): labctl_pch (the standard library
#   and nlohmann/json) for product code, labctl_test_pch (the same plus gtest) for tests.
#   CLI11 is precompiled only for labctl_cli, the one library that may include it.
# Sources that cannot share a batch (file-scope names that clash) are compiled alone
# (see _labctl_unity_skip below). Both hide a header a file forgets to include (the batch or the
# PCH already has it), which then breaks only builds with the option OFF: the fuzz build in
# scripts/test.sh turns it off, so CI still compiles every file on its own once.
option(LABCTL_FAST_BUILD "Unity builds and shared precompiled headers (faster full builds)" ON)
set(LABCTL_UNITY_BATCH 8 CACHE STRING "Source files per unity batch with LABCTL_FAST_BUILD")

set(_labctl_pch_std
  <algorithm> <array> <chrono> <cstddef> <cstdint> <expected> <filesystem> <functional> <map>
  <memory> <mutex> <optional> <set> <sstream> <string> <string_view> <utility> <vector>
  <nlohmann/json.hpp>)

# Product sources compiled on their own, not in a batch: a file-scope name in them (an alias such
# as `using Json = nlohmann::ordered_json;` or a helper in an anonymous namespace) clashes with
# the same name in another file of the library. Renaming the name lets the file join a batch.
set(_labctl_unity_skip
  providers/aws/aws_state.cpp         # Json (aws_iam.cpp: ordered_json)
  providers/local/lab_plan.cpp        # Json (lab_apply.cpp: json)
  labctl/cli/evidence.cpp)            # RawFlags (another command's file)

# labctl_fast_build_apply(): call once, after every target is defined. Applies unity builds and
# the shared precompiled header to every product library and the test precompiled header to
# every test target; a no-op when LABCTL_FAST_BUILD is OFF.
function(labctl_fast_build_apply)
  if(NOT LABCTL_FAST_BUILD)
    return()
  endif()
  # With <string> coming from a precompiled header, g++ 12 inlines std::string concatenations
  # differently and reports false -Warray-bounds and -Wstringop-overflow on them (seen in
  # lab_plan.cpp and in a test fixture's `path + "/profiles/local.yaml"`; the same files are clean
  # without the PCH). The warnings stay on in builds without the option and in clang's fuzz build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(labctl_warnings INTERFACE -Wno-array-bounds -Wno-stringop-overflow)
  endif()
  # The PCH producers link labctl_warnings like their consumers, so the flags match (a PCH built
  # with other flags is rejected, and -Winvalid-pch plus -Werror would fail the build).
  file(WRITE ${CMAKE_BINARY_DIR}/generated/fast_build/pch.cpp
    "// Translation unit that only builds the shared precompiled header.\n")
  add_library(labctl_pch OBJECT ${CMAKE_BINARY_DIR}/generated/fast_build/pch.cpp)
  target_link_libraries(labctl_pch PRIVATE labctl_warnings nlohmann_json::nlohmann_json)
  target_precompile_headers(labctl_pch PRIVATE ${_labctl_pch_std})
  _labctl_unity_flags(labctl_pch)

  _labctl_targets_under(${CMAKE_SOURCE_DIR} _all)
  set(_tests)
  foreach(_t ${_all})
    get_target_property(_type ${_t} TYPE)
    get_target_property(_dir ${_t} SOURCE_DIR)
    if(NOT _type MATCHES "^(STATIC_LIBRARY|EXECUTABLE)$" OR _dir MATCHES "/fuzz(/|$)")
      continue()
    endif()
    if(_dir MATCHES "^${CMAKE_SOURCE_DIR}/(tests|bench)(/|$)")
      # Only targets built with gtest's flags can use its PCH (the others compile plainly).
      get_target_property(_links ${_t} LINK_LIBRARIES)
      if(_links MATCHES "GTest::|labctl_test_support|labctl_cli_fixture")
        list(APPEND _tests ${_t})
      endif()
      continue()
    endif()
    set_target_properties(${_t} PROPERTIES
      UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${LABCTL_UNITY_BATCH})
    _labctl_unity_flags(${_t})
    foreach(_skip ${_labctl_unity_skip})
      set_source_files_properties(${CMAKE_SOURCE_DIR}/${_skip} TARGET_DIRECTORY ${_t}
        PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
    endforeach()
    if(_t STREQUAL "labctl_cli")
      target_precompile_headers(${_t} PRIVATE ${_labctl_pch_std} <CLI/CLI.hpp>)
    else()
      target_precompile_headers(${_t} REUSE_FROM labctl_pch)
    endif()
  endforeach()

  if(_tests)
    add_library(labctl_test_pch OBJECT ${CMAKE_BINARY_DIR}/generated/fast_build/pch.cpp)
    # GTest::gtest brings GTEST_HAS_PTHREAD=1: a PCH built without it is rejected by its users.
    find_package(GTest REQUIRED)
    target_link_libraries(labctl_test_pch PRIVATE labctl_warnings nlohmann_json::nlohmann_json
      GTest::gtest)
    target_precompile_headers(labctl_test_pch PRIVATE ${_labctl_pch_std} <gtest/gtest.h>)
    foreach(_t ${_tests})
      target_precompile_headers(${_t} REUSE_FROM labctl_test_pch)
    endforeach()
  endif()
endfunction()

# Every buildsystem target defined in DIR and below.
function(_labctl_targets_under dir out)
  get_property(_targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(_subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(_sub ${_subdirs})
    _labctl_targets_under(${_sub} _more)
    list(APPEND _targets ${_more})
  endforeach()
  set(${out} ${_targets} PARENT_SCOPE)
endfunction()

# g++ treats each file a unity batch includes as a header, so a class in file.cpp with a member of
# a type from file.cpp's anonymous namespace trips -Wsubobject-linkage; in a .cpp that is fine.
function(_labctl_unity_flags target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
  endif()
endfunction()
