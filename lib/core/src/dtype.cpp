// dtype.cpp: names and sizes of the element types (f32, f64, i8, u8, i32, i64).
#include "gb/core/dtype.hpp"

#include "gb/core/error.hpp"

namespace gb {

std::size_t dtype_size(DType dtype) {
  return dispatch_dtype(dtype, [](auto tag) { return sizeof(tag); });
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i8: return "i8";
    case DType::u8: return "u8";
    case DType::i32: return "i32";
    case DType::i64: return "i64";
  }
  return "?";  // unreachable for a valid enumerator
}

DType dtype_from_name(const std::string& n) {
  for (DType dtype : {DType::f32, DType::f64, DType::i8, DType::u8, DType::i32, DType::i64}) {
    if (n == dtype_name(dtype)) return dtype;
  }
  throw Error("dtype_from_name", "one of f32, f64, i8, u8, i32, i64", "\"" + n + "\"");
}

bool is_floating(DType dtype) { return dtype == DType::f32 || dtype == DType::f64; }

}  // namespace gb
