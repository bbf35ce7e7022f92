# Helpers shared by every module's CMakeLists.txt.

# gb_module(NAME SOURCES... [DEPS targets...])
# Defines the static library gb_NAME from lib/NAME. When NAME is listed in GB_REFERENCE_MODULES and
# the student kit ships solutions/lib/NAME, each source is taken from there instead (DESIGN.md section 5:
# "a student can swap in the reference for a finished module").
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
  add_library(gb_${name} STATIC ${sources})
  target_include_directories(gb_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(gb_${name} PUBLIC ${M_DEPS} PRIVATE gb_warnings)
endfunction()

# gb_gtest(NAME LABEL SOURCES... [DEPS targets...])
# One GoogleTest program, registered with ctest per test case (gtest_discover_tests) under LABEL.
function(gb_gtest name label)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main gb_warnings)
  include(GoogleTest)
  gtest_discover_tests(${name} PROPERTIES LABELS ${label} DISCOVERY_TIMEOUT 60)
  # The unit and exercise programs are what the student-kit checks run (tools/kit_check.py).
  if(label STREQUAL "unit" OR label STREQUAL "exercise")
    set_property(GLOBAL APPEND PROPERTY GB_GTEST_PROGRAMS ${name})
  endif()
endfunction()
