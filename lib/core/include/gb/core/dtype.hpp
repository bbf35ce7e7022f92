// dtype.hpp: the element types a Tensor can hold, and their names and sizes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gb {

enum class DType : std::uint8_t { f32, f64, i8, u8, i32, i64 };

std::size_t dtype_size(DType dtype);         // bytes per element
const char* dtype_name(DType dtype);         // "f32", "f64", "i8", "u8", "i32", "i64"
DType dtype_from_name(const std::string& n); // throws gb::Error for an unknown name
bool is_floating(DType dtype);

// C++ type -> DType, e.g. dtype_of<float>() == DType::f32.
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::i8; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::u8; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::i64; }

// Calls f(T{}) with the C++ type of dtype: dispatch_dtype(t.dtype(), [&](auto tag) { using T = decltype(tag); ... }).
template <class F> decltype(auto) dispatch_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i8: return f(std::int8_t{});
    case DType::u8: return f(std::uint8_t{});
    case DType::i32: return f(std::int32_t{});
    case DType::i64: return f(std::int64_t{});
  }
  return f(float{});  // unreachable: every enumerator is handled above
}

}  // namespace gb
