# toml++ (Debian's headers, shipped in .deps/device/usr/include) as a header-only library:
# TOML_HEADER_ONLY=1 instead of Debian's libtomlplusplus.so (TOML_SHARED_LIB), so nothing is
# linked and the build machine's C++11 ABI (from its LibTorch) cannot clash with Debian's.
if(NOT TARGET tomlplusplus::tomlplusplus)
  get_filename_component(_toml_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
  add_library(tomlplusplus::tomlplusplus INTERFACE IMPORTED)
  set_target_properties(tomlplusplus::tomlplusplus PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_toml_prefix}/include"
    INTERFACE_COMPILE_DEFINITIONS "TOML_HEADER_ONLY=1"
    INTERFACE_COMPILE_FEATURES "cxx_std_17")
  unset(_toml_prefix)
endif()
