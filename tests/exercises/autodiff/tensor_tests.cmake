# Exercise tests of the tensor half of gb_autodiff: autodiff.reverse.vjp_rules (lesson 04) and
# autodiff.reverse.jacrev (lesson 05). One gtest suite per task:
#   autodiff_exercise_tests --gtest_filter='Task_04_2_VjpRules.*'
list(APPEND GB_AUTODIFF_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/task_04_2_vjp_rules_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/task_05_1_jacrev_test.cpp)
