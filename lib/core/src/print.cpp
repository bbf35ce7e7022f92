// print.cpp: NumPy-style printing with the shape and dtype written out.
//
//   tensor([[0, 1, 2],
//           [3, 4, 5]], shape=[2, 3], dtype=f32)
// Floats use 4 significant digits ("%.4g": 1.5, 0.3333, -2, 1e+06, nan, inf). Beyond 1000 elements
// each axis longer than 6 shows its first and last 3 entries around "...", as NumPy does.
// The printer walks the tensor recursively, carrying the element offset down the axes (offset +
// i * stride at each level), so it reads any view without copying it.
#include "gb/core/print.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include "gb/core/tensor.hpp"

namespace gb {

namespace {

constexpr std::int64_t kSummaryThreshold = 1000;  // NumPy's threshold
constexpr std::int64_t kEdgeItems = 3;            // NumPy's edgeitems
const std::string kPrefix = "tensor(";             // rows line up under the first bracket

std::string format_value(double value, bool floating) {
  if (!floating) return std::to_string(static_cast<std::int64_t>(value));
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

class Printer {
 public:
  explicit Printer(const Tensor& t) : t_(t), summarise_(t.numel() > kSummaryThreshold) {}

  std::string body() {
    // Pass 1 measures the widest element; pass 2 writes every element right-aligned to that width.
    render(0, t_.offset(), kPrefix.size());
    out_.clear();
    measuring_ = false;
    render(0, t_.offset(), kPrefix.size());
    return out_;
  }

 private:
  double value_at(std::int64_t position) const {
    return dispatch_dtype(t_.dtype(), [&](auto tag) {
      using T = decltype(tag);
      return static_cast<double>(reinterpret_cast<const T*>(t_.storage()->data)[position]);
    });
  }

  void element(std::int64_t position) {
    std::string text = format_value(value_at(position), is_floating(t_.dtype()));
    if (measuring_) {
      width_ = std::max(width_, text.size());
    } else {
      out_ += std::string(width_ - text.size(), ' ') + text;
    }
  }

  // Writes axis `axis` and everything inside it; `indent` is the column of its opening bracket.
  void render(std::size_t axis, std::int64_t position, std::size_t indent) {
    if (axis == t_.ndim()) {
      element(position);
      return;
    }
    const std::int64_t size = t_.shape()[axis];
    const std::int64_t stride = t_.strides()[axis];
    const bool innermost = axis + 1 == t_.ndim();
    // Between rows of an outer axis: a newline per remaining axis, like NumPy's blank lines.
    const std::string separator =
        innermost ? ", " : "," + std::string(t_.ndim() - axis - 1, '\n') + std::string(indent + 1, ' ');
    const bool cut = summarise_ && size > 2 * kEdgeItems;
    out_ += "[";
    for (std::int64_t i = 0; i < size; ++i) {
      if (cut && i == kEdgeItems) {
        out_ += "..." + separator;
        i = size - kEdgeItems;
      }
      render(axis + 1, position + i * stride, indent + 1);
      if (i + 1 < size) out_ += separator;
    }
    out_ += "]";
  }

  const Tensor& t_;
  bool summarise_;
  bool measuring_ = true;
  std::size_t width_ = 0;
  std::string out_;
};

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  return kPrefix + Printer(t).body() + ", shape=" + shape_str(t.shape()) + ", dtype=" +
         dtype_name(t.dtype()) + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

std::string Tensor::str() const { return to_string(*this); }

}  // namespace gb
