# Turns a text file into a header holding it as a std::string_view, so the installed labctl
# carries its schema and default scenarios without reading the source tree at run time.
# Usage: cmake -DINPUT=<file> -DOUTPUT=<header> -DSYMBOL=<name> -DNAMESPACE=<ns> -P embed_file.cmake
# Every byte becomes a \xNN escape: no delimiter or quoting in the file can break the literal.
file(READ "${INPUT}" _hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" _escaped "${_hex}")
# Split the literal into lines of 32 bytes (adjacent literals concatenate).
string(REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f]){32})" "\\1\"\n    \"" _escaped "${_escaped}")
get_filename_component(_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
"#pragma once
// Generated from ${_name} by cmake/embed_file.cmake; do not edit.
#include <string_view>

namespace ${NAMESPACE} {
inline constexpr char ${SYMBOL}_bytes[] =
    \"${_escaped}\";
inline constexpr std::string_view ${SYMBOL}{${SYMBOL}_bytes, sizeof(${SYMBOL}_bytes) - 1};
}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
