# fmt (Debian's headers, shipped in .deps/device/usr/include) as a header-only library:
# FMT_HEADER_ONLY, so nothing is linked and the C++11 ABI of the build machine's LibTorch
# (0 or 1) cannot clash with the one Debian's libfmt.so was built with.
if(NOT TARGET fmt::fmt)
  get_filename_component(_fmt_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
  foreach(_t fmt::fmt fmt::fmt-header-only)
    add_library(${_t} INTERFACE IMPORTED)
    set_target_properties(${_t} PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${_fmt_prefix}/include"
      INTERFACE_COMPILE_DEFINITIONS "FMT_HEADER_ONLY=1")
  endforeach()
  unset(_fmt_prefix)
endif()
