# A minimal TorchConfig.cmake for a LibTorch without its CUDA toolkit checks (copied into
# .deps/device/torch-shim/ by scripts/device-prep.sh).  Use it instead of LibTorch's own
# config when that one cannot be used on a machine: a CUDA build of PyTorch's TorchConfig
# runs find_package(CUDA) + enable_language(CUDA) and needs nvcc and a toolkit matching the
# wheel; with CUDA >= 12.9 / 13 toolkits PyTorch <= 2.7 fails on the missing CUDA::nvToolsExt.
# cwrf calls no CUDA API directly: linking libtorch_cuda.so (kept with --no-as-needed so
# its CUDA hooks register) is all it takes for torch::cuda::is_available() and kCUDA.
#
#   cmake -DTorch_DIR=.deps/device/torch-shim -DCWRF_TORCH_ROOT=<site-packages>/torch ...
#
# Inputs (cache variables or environment variables of the same name):
#   CWRF_TORCH_ROOT          the torch package dir (python3 -c 'import torch, os;
#                            print(os.path.dirname(torch.__file__))'); with neither it nor the
#                            dirs below given, python3 is asked
#   CWRF_TORCH_INCLUDE_DIR   default <root>/include
#   CWRF_TORCH_LIBRARY_DIR   default <root>/lib
#   CWRF_TORCH_CMAKE_DIR     default <root>/share/cmake (read for the C++11 ABI flag and the
#                            interface definitions; optional)
#   CWRF_TORCH_CXX11_ABI     0 or 1; default: from <cmake dir>/Torch/TorchConfig.cmake, else
#                            python3's torch._C._GLIBCXX_USE_CXX11_ABI, else 1
# Outputs, as LibTorch's own config: TORCH_FOUND, TORCH_INCLUDE_DIRS, TORCH_LIBRARIES (the
# imported target `torch`), TORCH_CXX_FLAGS, TORCH_INSTALL_PREFIX, Torch_VERSION, and
# TORCH_CUDA_LIBRARIES (empty for a CPU build).

foreach(_v CWRF_TORCH_ROOT CWRF_TORCH_INCLUDE_DIR CWRF_TORCH_LIBRARY_DIR CWRF_TORCH_CMAKE_DIR CWRF_TORCH_CXX11_ABI)
  if(NOT DEFINED ${_v} AND DEFINED ENV{${_v}})
    set(${_v} "$ENV{${_v}}")
  endif()
endforeach()

if(NOT CWRF_TORCH_ROOT AND NOT (CWRF_TORCH_INCLUDE_DIR AND CWRF_TORCH_LIBRARY_DIR))
  find_program(_cwrf_python NAMES python3 python)
  if(_cwrf_python)
    execute_process(COMMAND "${_cwrf_python}" -c "import os, torch; print(os.path.dirname(torch.__file__))"
      OUTPUT_VARIABLE CWRF_TORCH_ROOT OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      unset(CWRF_TORCH_ROOT)
    endif()
  endif()
endif()
if(NOT CWRF_TORCH_ROOT AND NOT (CWRF_TORCH_INCLUDE_DIR AND CWRF_TORCH_LIBRARY_DIR))
  set(Torch_FOUND FALSE)
  set(Torch_NOT_FOUND_MESSAGE "torch-shim: set CWRF_TORCH_ROOT (the torch package dir) or CWRF_TORCH_INCLUDE_DIR + CWRF_TORCH_LIBRARY_DIR")
  return()
endif()
if(NOT CWRF_TORCH_INCLUDE_DIR)
  set(CWRF_TORCH_INCLUDE_DIR "${CWRF_TORCH_ROOT}/include")
endif()
if(NOT CWRF_TORCH_LIBRARY_DIR)
  set(CWRF_TORCH_LIBRARY_DIR "${CWRF_TORCH_ROOT}/lib")
endif()
if(NOT CWRF_TORCH_CMAKE_DIR AND CWRF_TORCH_ROOT)
  set(CWRF_TORCH_CMAKE_DIR "${CWRF_TORCH_ROOT}/share/cmake")
endif()
set(TORCH_INSTALL_PREFIX "${CWRF_TORCH_ROOT}")

# Version, from the headers.
set(Torch_VERSION "")
set(_vh "${CWRF_TORCH_INCLUDE_DIR}/torch/csrc/api/include/torch/version.h")
if(EXISTS "${_vh}")
  file(STRINGS "${_vh}" _lines REGEX "#define TORCH_VERSION_(MAJOR|MINOR|PATCH) ")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX MATCH "TORCH_VERSION_${_part} ([0-9]+)" _m "${_lines}")
    set(_${_part} "${CMAKE_MATCH_1}")
  endforeach()
  set(Torch_VERSION "${_MAJOR}.${_MINOR}.${_PATCH}")
else()
  set(Torch_FOUND FALSE)
  set(Torch_NOT_FOUND_MESSAGE "torch-shim: no ${_vh}")
  return()
endif()

# The C++11 ABI switch: the whole program must agree with LibTorch's.
if(NOT DEFINED CWRF_TORCH_CXX11_ABI OR CWRF_TORCH_CXX11_ABI STREQUAL "")
  set(_tc "${CWRF_TORCH_CMAKE_DIR}/Torch/TorchConfig.cmake")
  if(CWRF_TORCH_CMAKE_DIR AND EXISTS "${_tc}")
    file(STRINGS "${_tc}" _abi REGEX "_GLIBCXX_USE_CXX11_ABI=[01]")
    string(REGEX MATCH "_GLIBCXX_USE_CXX11_ABI=([01])" _m "${_abi}")
    set(CWRF_TORCH_CXX11_ABI "${CMAKE_MATCH_1}")
  endif()
endif()
if(NOT DEFINED CWRF_TORCH_CXX11_ABI OR CWRF_TORCH_CXX11_ABI STREQUAL "")
  find_program(_cwrf_python NAMES python3 python)
  if(_cwrf_python)
    execute_process(COMMAND "${_cwrf_python}" -c "import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))"
      OUTPUT_VARIABLE CWRF_TORCH_CXX11_ABI OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      set(CWRF_TORCH_CXX11_ABI "")
    endif()
  endif()
endif()
if(NOT CWRF_TORCH_CXX11_ABI STREQUAL "0")
  set(CWRF_TORCH_CXX11_ABI 1)
endif()
set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${CWRF_TORCH_CXX11_ABI}")

# LibTorch's interface definitions (USE_DISTRIBUTED, USE_C10D_NCCL, ...), if its CMake files are there.
set(_defs "")
set(_ct "${CWRF_TORCH_CMAKE_DIR}/Caffe2/Caffe2Targets.cmake")
if(CWRF_TORCH_CMAKE_DIR AND EXISTS "${_ct}")
  file(STRINGS "${_ct}" _d REGEX "INTERFACE_COMPILE_DEFINITIONS \"[A-Za-z0-9_;=]+\"")
  if(_d)
    list(GET _d 0 _d)
    string(REGEX MATCH "\"([A-Za-z0-9_;=]+)\"" _m "${_d}")
    set(_defs "${CMAKE_MATCH_1}")
  endif()
endif()

# The libraries: torch, torch_cpu, c10 always; torch_cuda, c10_cuda when it is a CUDA build.
set(_libs "")
foreach(_l torch torch_cpu c10)
  find_library(CWRF_TORCH_${_l}_LIBRARY NAMES ${_l} PATHS "${CWRF_TORCH_LIBRARY_DIR}" NO_DEFAULT_PATH)
  if(NOT CWRF_TORCH_${_l}_LIBRARY)
    set(Torch_FOUND FALSE)
    set(Torch_NOT_FOUND_MESSAGE "torch-shim: no lib${_l}.so in ${CWRF_TORCH_LIBRARY_DIR}")
    return()
  endif()
endforeach()
set(TORCH_CUDA_LIBRARIES "")
foreach(_l torch_cuda c10_cuda)
  find_library(CWRF_TORCH_${_l}_LIBRARY NAMES ${_l} PATHS "${CWRF_TORCH_LIBRARY_DIR}" NO_DEFAULT_PATH)
  if(CWRF_TORCH_${_l}_LIBRARY)
    list(APPEND TORCH_CUDA_LIBRARIES "${CWRF_TORCH_${_l}_LIBRARY}")
  endif()
endforeach()

find_package(Threads REQUIRED)
if(NOT TARGET torch)
  add_library(torch INTERFACE IMPORTED)
  set(_link "-Wl,--no-as-needed" "${CWRF_TORCH_torch_LIBRARY}" "${CWRF_TORCH_torch_cpu_LIBRARY}"
            ${TORCH_CUDA_LIBRARIES} "${CWRF_TORCH_c10_LIBRARY}" "-Wl,--as-needed" Threads::Threads ${CMAKE_DL_LIBS})
  set_target_properties(torch PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${CWRF_TORCH_INCLUDE_DIR};${CWRF_TORCH_INCLUDE_DIR}/torch/csrc/api/include"
    INTERFACE_COMPILE_DEFINITIONS "${_defs}"
    INTERFACE_COMPILE_OPTIONS "${TORCH_CXX_FLAGS}"
    INTERFACE_LINK_LIBRARIES "${_link}")
  # The loader must find LibTorch (and, through LibTorch's own RUNPATH, the nvidia-* wheels'
  # CUDA libraries) when the program runs from the build tree.
  set_property(TARGET torch PROPERTY INTERFACE_LINK_OPTIONS "LINKER:-rpath,${CWRF_TORCH_LIBRARY_DIR}")
endif()

set(TORCH_INCLUDE_DIRS "${CWRF_TORCH_INCLUDE_DIR};${CWRF_TORCH_INCLUDE_DIR}/torch/csrc/api/include")
set(TORCH_LIBRARIES torch)
set(TORCH_LIBRARY "${CWRF_TORCH_torch_LIBRARY}")
set(TORCH_FOUND TRUE)
set(Torch_FOUND TRUE)
if(TORCH_CUDA_LIBRARIES)
  set(_kind "CUDA")
else()
  set(_kind "CPU")
endif()
message(STATUS "torch-shim: LibTorch ${Torch_VERSION} (${_kind}) in ${CWRF_TORCH_LIBRARY_DIR}, ${TORCH_CXX_FLAGS}")
