# Helpers shared by every module's CMakeLists.txt.

# The kit checks (tools/kit_check.py) build the student kit ~30 times in a row, removing one task at a
# time; with shared modules a removed task recompiles one file and relinks one library instead of
# relinking every test program. Off by default: the normal builds use static libraries.
option(GB_SHARED_MODULES "Build the gb_<module> libraries as shared libraries (the kit checks' build)" OFF)

# gb_module(NAME SOURCES... [DEPS targets...])
# Defines the static library gb_NAME from lib/NAME (a shared one with GB_SHARED_MODULES). When NAME is
# listed in GB_REFERENCE_MODULES and the student kit ships solutions/lib/NAME, each source is taken from
# there instead (DESIGN.md section 5: "a student can swap in the reference for a finished module").
function(gb_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  set(sources "")
  foreach(src IN LISTS M_SOURCES)
    set(ref "${PROJECT_SOURCE_DIR}/solutions/lib/${name}/${src}")
    if(name IN_LIST GB_REFERENCE_MODULES AND EXISTS "${ref}")
      list(APPEND sources "${ref}")
    else()
      list(APPEND sources "${CMAKE_CURRENT_SOURCE_DIR}/${src}")
    endif()
  endforeach()
  if(GB_SHARED_MODULES)
    add_library(gb_${name} SHARED ${sources})
    # No -Dgb_NAME_EXPORTS (nothing uses it): the objects stay those of the static build.
    set_target_properties(gb_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON DEFINE_SYMBOL "")
  else()
    add_library(gb_${name} STATIC ${sources})
  endif()
  target_include_directories(gb_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(gb_${name} PUBLIC ${M_DEPS} PRIVATE gb_warnings)
endfunction()

# gb_gtest(NAME LABEL SOURCES... [DEPS targets...])
# One GoogleTest program, registered with ctest per test case (gtest_discover_tests) under LABEL.
function(gb_gtest name label)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main gb_warnings)
  if(GB_SHARED_MODULES)
    # A static module passes its private libraries (zlib for gb_nn) on to the programs' link line; a
    # shared one does not, so let the linker resolve from the libraries the modules need themselves.
    target_link_options(${name} PRIVATE LINKER:--copy-dt-needed-entries)
  endif()
  include(GoogleTest)
  gtest_discover_tests(${name} PROPERTIES LABELS ${label} DISCOVERY_TIMEOUT 60)
  # The unit and exercise programs are what the student-kit checks run (tools/kit_check.py).
  if(label STREQUAL "unit" OR label STREQUAL "exercise")
    set_property(GLOBAL APPEND PROPERTY GB_GTEST_PROGRAMS ${name})
  endif()
endfunction()
