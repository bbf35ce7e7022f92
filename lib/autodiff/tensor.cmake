# The tensor half of gb_autodiff: reverse mode on Tensors (Variable, the tape, one VJP rule per op),
# Jacobians, Hessians, checkpointing. Reading order: variable, backward, the vjp_* files, jacobian,
# checkpoint; tensor_math and record are the helpers (values, recording).
list(APPEND GB_AUTODIFF_TENSOR_SOURCES
  src/tensor/variable.cpp
  src/tensor/backward.cpp
  src/tensor/vjp_elementwise.cpp
  src/tensor/vjp_activation.cpp
  src/tensor/vjp_reduce.cpp
  src/tensor/vjp_shape.cpp
  src/tensor/vjp_matmul.cpp
  src/tensor/vjp_softmax.cpp
  src/tensor/jacobian.cpp
  src/tensor/checkpoint.cpp
  src/tensor/tensor_math.cpp
  src/tensor/record.cpp)
