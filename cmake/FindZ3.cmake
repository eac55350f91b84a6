# Debian's libz3-dev ships a pkg-config file and no CMake package, so find it through pkg-config.
find_package(PkgConfig REQUIRED)
pkg_check_modules(Z3_PC IMPORTED_TARGET z3)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Z3 REQUIRED_VARS Z3_PC_FOUND VERSION_VAR Z3_PC_VERSION)
if(Z3_FOUND AND NOT TARGET Z3::z3)
  add_library(Z3::z3 ALIAS PkgConfig::Z3_PC)
endif()
