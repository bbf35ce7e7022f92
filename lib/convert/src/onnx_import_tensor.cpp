// onnx_import_tensor.cpp: ONNX TensorProto <-> gb::Tensor (the weights of a model, the test vectors'
// input_0.pb ...).
//
// A TensorProto holds dims, a data_type and the elements in ONE of two places:
//   raw_data     the elements' bytes, little-endian, row-major (what exporters write: compact, no parsing);
//   typed fields float_data (FLOAT), double_data (DOUBLE), int64_data (INT64), int32_data (INT32 and every
//                narrower integer and BOOL: a uint8 travels as a varint int32 per element).
// The element count must match the dims exactly: a mismatch is a malformed file, checked before anything
// is allocated (so a fuzzed "dims: 2^40" cannot make us allocate terabytes).
#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "gb/convert/onnx_import.hpp"
#include "onnx_import_internal.hpp"

namespace gb::convert {

namespace {

constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;  // far beyond any model; a guard for sums of dims

// ONNX element type -> glassbox dtype; BOOL is stored as u8 (0 / 1).
DType dtype_of_onnx(int type, const std::string& what) {
  switch (type) {
    case onnx::TensorProto::FLOAT: return DType::f32;
    case onnx::TensorProto::DOUBLE: return DType::f64;
    case onnx::TensorProto::INT64: return DType::i64;
    case onnx::TensorProto::INT32: return DType::i32;
    case onnx::TensorProto::UINT8: return DType::u8;
    case onnx::TensorProto::INT8: return DType::i8;
    case onnx::TensorProto::BOOL: return DType::u8;
    default: break;
  }
  const std::string name = onnx::TensorProto::DataType_IsValid(type) ? onnx::TensorProto::DataType_Name(type) : std::to_string(type);
  throw Unsupported(what, "an element type FLOAT, DOUBLE, INT64, INT32, UINT8, INT8 or BOOL", name);
}

int onnx_of_dtype(DType dtype) {
  switch (dtype) {
    case DType::f32: return onnx::TensorProto::FLOAT;
    case DType::f64: return onnx::TensorProto::DOUBLE;
    case DType::i64: return onnx::TensorProto::INT64;
    case DType::i32: return onnx::TensorProto::INT32;
    case DType::u8: return onnx::TensorProto::UINT8;
    case DType::i8: return onnx::TensorProto::INT8;
  }
  return onnx::TensorProto::UNDEFINED;
}

// Copies n typed-field values into the tensor's elements, converting (int32_data -> u8 / i8 ...).
template <class Field> void copy_field(const Field& field, Tensor& out) {
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = out.data<T>();
    for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<T>(field.Get(i));
  });
}

}  // namespace

namespace detail {

DType onnx_element_type(int type, const std::string& what) { return dtype_of_onnx(type, what); }
int onnx_element_type_of(DType dtype) { return onnx_of_dtype(dtype); }  // declared in onnx_export_internal.hpp

Tensor tensor_from_proto(const onnx::TensorProto& proto) {
  const std::string what = "tensor '" + proto.name() + "'";
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) throw Unsupported(what, "data inside the file", "external data");
  if (proto.has_segment()) throw Unsupported(what, "a whole tensor", "a segment");
  const DType dtype = dtype_of_onnx(proto.data_type(), what);
  Shape shape;
  std::int64_t numel = 1;
  for (std::int64_t d : proto.dims()) {
    if (d < 0) throw Error(what, "dims >= 0", std::to_string(d));
    if (d > 0 && numel > kMaxElements / d) throw Error(what, "at most 2^40 elements", "more");
    numel *= d;
    shape.push_back(d);
  }
  const auto size = static_cast<std::int64_t>(dtype_size(dtype));
  const std::string count = std::to_string(numel) + " elements";
  Tensor out;
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (static_cast<std::int64_t>(raw.size()) != numel * size) {
      throw Error(what, count + " (" + std::to_string(numel * size) + " bytes of raw_data)", std::to_string(raw.size()) + " bytes");
    }
    out = Tensor::empty(shape, dtype);
    if (!raw.empty()) std::memcpy(out.raw_data(), raw.data(), raw.size());  // little-endian host (x86, ARM)
    return out;
  }
  // The typed field that goes with the element type (ONNX's TensorProto comments).
  const auto check = [&](int given) {
    if (given != numel) throw Error(what, count + " in the typed field", std::to_string(given) + " values");
    out = Tensor::empty(shape, dtype);
  };
  switch (proto.data_type()) {
    case onnx::TensorProto::FLOAT: check(proto.float_data_size()); copy_field(proto.float_data(), out); break;
    case onnx::TensorProto::DOUBLE: check(proto.double_data_size()); copy_field(proto.double_data(), out); break;
    case onnx::TensorProto::INT64: check(proto.int64_data_size()); copy_field(proto.int64_data(), out); break;
    default: check(proto.int32_data_size()); copy_field(proto.int32_data(), out); break;  // INT32, UINT8, INT8, BOOL
  }
  return out;
}

void tensor_to_proto(const Tensor& tensor, const std::string& name, onnx::TensorProto& proto) {
  if (!tensor.defined()) throw Error("serialize_tensor", "a defined tensor", "an undefined tensor");
  proto.set_name(name);
  proto.set_data_type(onnx_of_dtype(tensor.dtype()));
  for (std::int64_t d : tensor.shape()) proto.add_dims(d);
  const Tensor dense = tensor.contiguous();
  proto.set_raw_data(std::string(static_cast<const char*>(dense.raw_data()), static_cast<std::size_t>(dense.numel()) * dtype_size(dense.dtype())));
}

}  // namespace detail

Tensor parse_tensor(const std::string& bytes, std::string* name) {
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) {
    throw Error("parse_tensor", "a serialized ONNX TensorProto", std::to_string(bytes.size()) + " bytes that do not parse");
  }
  if (name) *name = proto.name();
  return detail::tensor_from_proto(proto);
}

Tensor load_tensor(const std::string& path, std::string* name) {
  return parse_tensor(detail::read_file(path, "load_tensor"), name);
}

std::string serialize_tensor(const Tensor& tensor, const std::string& name) {
  onnx::TensorProto proto;
  detail::tensor_to_proto(tensor, name, proto);
  return proto.SerializeAsString();
}

namespace detail {

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(what, "a file that can be read", "'" + path + "'");
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

}  // namespace detail
}  // namespace gb::convert
