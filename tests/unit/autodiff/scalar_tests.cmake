# Unit tests of the scalar half of gb_autodiff (numerical, the language, symbolic, Dual, the tape,
# the four modes, the recordings).
list(APPEND GB_AUTODIFF_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/numerical_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/parser_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/symbolic_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/dual_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/scalar_tape_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/modes_test.cpp
)
