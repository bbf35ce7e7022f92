# Exercise tests of the scalar half of gb_autodiff, one TEST suite per task (tests/exercises/tasks.json):
#   autodiff_exercise_tests --gtest_filter='Task_03_1_DualRules.*'
list(APPEND GB_AUTODIFF_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/task_03_1_dual_rules_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/task_04_1_backward_test.cpp
)
