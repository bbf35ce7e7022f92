# The scalar half of gb_autodiff, in reading order (lessons 02-04): finite differences, the
# expression language, symbolic differentiation and swell, dual numbers, the scalar tape, the four
# modes behind one function, and the recordings the lessons show.
list(APPEND GB_AUTODIFF_SCALAR_SOURCES
  src/scalar/numerical.cpp
  src/scalar/expression.cpp
  src/scalar/tokenizer.cpp
  src/scalar/parser.cpp
  src/scalar/evaluate.cpp
  src/scalar/symbolic.cpp
  src/scalar/swell.cpp
  src/scalar/tape.cpp
  src/scalar/modes.cpp
  src/scalar/evaluation_trace.cpp
  src/scalar/record_trace.cpp
  src/scalar/record_plots.cpp
)
