// npy.cpp: reading and writing NumPy's .npy format (npy.hpp).
#include "gb/core/npy.hpp"

#include <cstring>
#include <fstream>
#include <sstream>

#include "gb/core/error.hpp"

namespace gb {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;
constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;

const char* descr_of(DType dtype) {
  switch (dtype) {
    case DType::f32: return "<f4";
    case DType::f64: return "<f8";
    case DType::i8: return "|i1";
    case DType::u8: return "|u1";
    case DType::i32: return "<i4";
    case DType::i64: return "<i8";
  }
  return "?";
}

DType dtype_of_descr(const std::string& d) {
  if (d == "<f4") return DType::f32;
  if (d == "<f8") return DType::f64;
  if (d == "|i1" || d == "<i1") return DType::i8;
  if (d == "|u1" || d == "<u1" || d == "|b1") return DType::u8;
  if (d == "<i4") return DType::i32;
  if (d == "<i8") return DType::i64;
  throw Error("npy", "descr <f4, <f8, <i8, <i4, |i1, |u1 or |b1 (little-endian)", "'" + d + "'");
}

// The value after 'key': in the header dict, as raw text up to the matching end.
std::string dict_value(const std::string& header, const std::string& key) {
  std::size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) throw Error("npy", "a header with the key '" + key + "'", header);
  std::size_t colon = header.find(':', k);
  if (colon == std::string::npos) throw Error("npy", "':' after '" + key + "'", header);
  std::size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) throw Error("npy", "a value for '" + key + "'", header);
  std::size_t end;
  if (header[start] == '(') {
    end = header.find(')', start);
    if (end == std::string::npos) throw Error("npy", "a closing ')' in the shape", header);
    return header.substr(start + 1, end - start - 1);
  }
  if (header[start] == '\'') {
    end = header.find('\'', start + 1);
    if (end == std::string::npos) throw Error("npy", "a closing quote", header);
    return header.substr(start + 1, end - start - 1);
  }
  end = header.find_first_of(",}", start);
  if (end == std::string::npos) throw Error("npy", "',' or '}' after '" + key + "'", header);
  return header.substr(start, end - start);
}

Shape parse_shape(const std::string& text, const std::string& header) {
  Shape shape;
  std::int64_t numel = 1;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    if (i >= text.size()) break;
    std::int64_t d = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      d = d * 10 + (text[i] - '0');
      ++i;
      if (++digits > 12) throw Error("npy", "a shape of sizes below 10^12", header);
    }
    if (digits == 0) throw Error("npy", "a shape of non-negative integers", header);
    if (i < text.size() && text[i] == 'L') ++i;  // Python 2's long suffix
    shape.push_back(d);
    if (shape.size() > 16) throw Error("npy", "at most 16 axes", header);
    // The product of the sizes other than 0 is bounded too: strides are products of sizes even when
    // one size is 0 (the fuzzer found (0, 3, 0, 599999999, 5999999999)).
    if (d > 0 && d > kMaxElements / numel) throw Error("npy", "at most 2^40 elements (sizes of 0 aside)", header);
    if (d > 0) numel *= d;
  }
  return shape;
}

}  // namespace

Tensor parse_npy(const std::string& bytes) {
  if (bytes.size() < kMagicSize + 4 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    throw Error("npy", "a file starting with \\x93NUMPY", std::to_string(bytes.size()) + " bytes without it");
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error("npy", "a 4-byte header length", "a truncated file");
    for (int b = 3; b >= 0; --b) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + static_cast<std::size_t>(b)]);
    header_start = 12;
  } else {
    throw Error("npy", "format version 1, 2 or 3", "version " + std::to_string(major));
  }
  if (header_len > bytes.size() - header_start) {
    throw Error("npy", "a header of " + std::to_string(header_len) + " bytes", "a truncated file");
  }
  const std::string header = bytes.substr(header_start, header_len);
  const DType dtype = dtype_of_descr(dict_value(header, "descr"));
  const std::string fortran = dict_value(header, "fortran_order");
  if (fortran != "False" && fortran != "True") throw Error("npy", "fortran_order True or False", header);
  Shape shape = parse_shape(dict_value(header, "shape"), header);
  const std::size_t data_start = header_start + header_len;
  const std::size_t need = static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype);
  if (bytes.size() - data_start < need) {
    throw Error("npy", std::to_string(need) + " bytes of data", std::to_string(bytes.size() - data_start));
  }
  if (fortran == "True") {
    // Column-major: the data is the row-major tensor of the reversed shape, transposed.
    Shape reversed(shape.rbegin(), shape.rend());
    Tensor t = Tensor::empty(reversed, dtype);
    if (need > 0) std::memcpy(t.raw_data(), bytes.data() + data_start, need);
    std::vector<std::int64_t> axes;
    for (std::int64_t a = static_cast<std::int64_t>(shape.size()) - 1; a >= 0; --a) axes.push_back(a);
    return t.permute(axes).contiguous();
  }
  Tensor t = Tensor::empty(shape, dtype);
  if (need > 0) std::memcpy(t.raw_data(), bytes.data() + data_start, need);
  return t;
}

Tensor load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("load_npy", "a readable .npy file", "'" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_npy(buffer.str());
}

std::string to_npy(const Tensor& tensor) {
  if (!tensor.defined()) throw Error("to_npy", "a defined tensor", "an undefined one");
  std::string shape;
  for (std::int64_t d : tensor.shape()) shape += std::to_string(d) + ", ";
  if (tensor.shape().size() > 1) shape.erase(shape.size() - 2);  // (2, 3); a 1-D shape keeps "(4, )"
  else if (tensor.shape().size() == 1) shape.erase(shape.size() - 1);
  std::string header = std::string("{'descr': '") + descr_of(tensor.dtype()) + "', 'fortran_order': False, 'shape': (" +
                       shape + "), }";
  const std::size_t total = kMagicSize + 4 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  Tensor c = tensor.contiguous();
  const std::size_t n = static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype());
  if (n > 0) out.append(static_cast<const char*>(c.raw_data()), n);
  return out;
}

void save_npy(const Tensor& tensor, const std::string& path) {
  std::string bytes = to_npy(tensor);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("save_npy", "a writable path", "'" + path + "'");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error("save_npy", "a complete write", "'" + path + "'");
}

}  // namespace gb
