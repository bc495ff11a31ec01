# Warnings for every labctl target; LABCTL_WERROR turns them into errors (CI does).
add_library(labctl_warnings INTERFACE)
target_compile_options(labctl_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wimplicit-fallthrough)
if(LABCTL_WERROR)
  target_compile_options(labctl_warnings INTERFACE -Werror)
endif()

if(LABCTL_SANITIZE)
  string(REPLACE "," ";" _san_list "${LABCTL_SANITIZE}")
  list(JOIN _san_list "," _san)
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
endif()
