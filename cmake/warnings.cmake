# Warnings for every labctl target; LABCTL_WERROR turns them into errors (CI does).
add_library(labctl_warnings INTERFACE)
target_compile_options(labctl_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wimplicit-fallthrough)
if(LABCTL_WERROR)
  target_compile_options(labctl_warnings INTERFACE -Werror)
endif()
# clang with Debian 12's libstdc++ 12 in C++23 mode reports the library's own use of the
# deprecated std::get_temporary_buffer inside std::stable_sort; g++ keeps the check for our code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(labctl_warnings INTERFACE -Wno-deprecated-declarations)
endif()

if(LABCTL_SANITIZE)
  string(REPLACE "," ";" _san_list "${LABCTL_SANITIZE}")
  list(JOIN _san_list "," _san)
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
  # Sanitized executables are linked as position-dependent: a position-independent one spends
  # most of each start (≈ 0.2 s of 0.55 s, measured on labctl with perf) in the dynamic loader
  # relocating tens of MB of sanitizer metadata, and the tests start labctl thousands of times.
  add_link_options(-no-pie)
endif()

# LABCTL_FUZZ: every product library gets libFuzzer's coverage instrumentation (the fuzz targets
# themselves link with -fsanitize=fuzzer in fuzz/CMakeLists.txt). Only clang has libFuzzer.
if(LABCTL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LABCTL_FUZZ needs clang (e.g. CXX=clang++-19), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
