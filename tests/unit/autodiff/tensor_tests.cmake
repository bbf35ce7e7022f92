# Unit tests of the tensor half of gb_autodiff (reverse mode on Tensors).
list(APPEND GB_AUTODIFF_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tensor_vjp_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tensor_backward_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tensor_jacobian_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tensor_checkpoint_test.cpp)
