// onnx_ops.cpp: register_onnx_ops, once, and the attribute helpers every op file uses.
#include <algorithm>
#include <mutex>

#include "gb/convert/onnx_ops.hpp"
#include "onnx_ops_internal.hpp"
#include "onnx_ops_loop.hpp"

namespace gb::convert {

namespace {

std::vector<std::string>& registered() {
  static std::vector<std::string> names;
  return names;
}

}  // namespace

void register_onnx_ops() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string>& names = registered();
    for (const auto& list : {detail::register_basic_onnx_ops(), detail::register_kernel_onnx_ops(), detail::register_onnx_loop_ops(),
                             detail::register_onnx_slice_ops(), detail::register_onnx_gather_ops(), detail::register_onnx_cast_ops()}) {
      names.insert(names.end(), list.begin(), list.end());
    }
    std::sort(names.begin(), names.end());
  });
}

std::vector<std::string> onnx_op_names() {
  register_onnx_ops();
  return registered();
}

namespace detail {

std::int64_t attr_int(const graph::Node& node, const std::string& key, std::int64_t fallback) {
  return node.has_attr(key) ? node.attr_int(key) : fallback;
}
double attr_float(const graph::Node& node, const std::string& key, double fallback) {
  return node.has_attr(key) ? node.attr_float(key) : fallback;
}
std::vector<std::int64_t> attr_ints(const graph::Node& node, const std::string& key, const std::vector<std::int64_t>& fallback) {
  return node.has_attr(key) ? node.attr_ints(key) : fallback;
}
std::string attr_string(const graph::Node& node, const std::string& key, const std::string& fallback) {
  return node.has_attr(key) ? node.attr_string(key) : fallback;
}

}  // namespace detail
}  // namespace gb::convert
