# FindHwloc.cmake - finds hwloc through pkg-config (hwloc installs only hwloc.pc on Unix),
# with a find_path/find_library fallback. Defines the imported target arayon::hwloc and, for
# use inside arayon's own build, the alias arayon_hwloc.
if(TARGET arayon::hwloc)
  set(Hwloc_FOUND TRUE)
  return()
endif()
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_HWLOC QUIET hwloc>=2.0)
endif()
find_path(Hwloc_INCLUDE_DIR hwloc.h HINTS ${PC_HWLOC_INCLUDE_DIRS})
find_library(Hwloc_LIBRARY NAMES hwloc HINTS ${PC_HWLOC_LIBRARY_DIRS})
set(Hwloc_VERSION ${PC_HWLOC_VERSION})
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Hwloc
  REQUIRED_VARS Hwloc_LIBRARY Hwloc_INCLUDE_DIR
  VERSION_VAR Hwloc_VERSION
  FAIL_MESSAGE "hwloc not found: install it with  apt-get install libhwloc-dev pkg-config")
if(Hwloc_FOUND)
  add_library(arayon::hwloc UNKNOWN IMPORTED)
  set_target_properties(arayon::hwloc PROPERTIES
    IMPORTED_LOCATION "${Hwloc_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Hwloc_INCLUDE_DIR}")
  if(NOT TARGET arayon_hwloc)
    add_library(arayon_hwloc INTERFACE IMPORTED)
    target_link_libraries(arayon_hwloc INTERFACE arayon::hwloc)
  endif()
endif()
