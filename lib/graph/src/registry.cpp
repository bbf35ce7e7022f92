// registry.cpp: the op registry (registry.hpp). Thread-safe; the built-in ops register themselves the
// first time anyone looks an op up, so no static-initialisation order matters.
#include "gb/graph/registry.hpp"

#include <map>
#include <memory>
#include <mutex>

#include "internal.hpp"

namespace gb::graph {

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const OpDef>> ops;
  // Replaced definitions stay alive: find_op hands out references that must not dangle.
  std::vector<std::shared_ptr<const OpDef>> retired;
};

Registry& registry() {
  static Registry r;
  return r;
}

void insert(OpDef def) {
  if (def.name.empty()) throw Error("register_op", "an op with a name", "an empty name");
  if (def.name == "placeholder" || def.name == "constant") {
    // the two special ops are registered once, by the library
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (r.ops.count(def.name)) throw Error("register_op", "an op name other than placeholder/constant", def.name);
  }
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto& slot = r.ops[def.name];
  if (slot) r.retired.push_back(slot);
  slot = std::make_shared<const OpDef>(std::move(def));
}

void ensure_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    detail::register_special_ops();
    detail::register_elementwise_ops();
    detail::register_unary_ops();
    detail::register_matmul_ops();
    detail::register_shape_ops();
  });
}

}  // namespace

void detail::add_builtin_op(OpDef def) { insert(std::move(def)); }

void register_op(OpDef def) {
  ensure_builtins();
  insert(std::move(def));
}

const OpDef& find_op(const std::string& name) {
  ensure_builtins();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.ops.find(name);
  if (it == r.ops.end()) {
    std::string known;
    for (const auto& [key, def] : r.ops) known += (known.empty() ? "" : ", ") + key;
    throw Error("graph", "a registered op", "'" + name + "' (known: " + known + ")");
  }
  return *it->second;
}

bool has_op(const std::string& name) {
  ensure_builtins();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.ops.count(name) != 0;
}

std::vector<std::string> op_names() {
  ensure_builtins();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [key, def] : r.ops) names.push_back(key);
  return names;  // std::map keeps them sorted
}

ValueId VjpContext::emit(const std::string& op, const std::vector<ValueId>& inputs, Attributes attrs,
                         const std::string& name) const {
  const ValueId out = graph.add(op, inputs, std::move(attrs), name);
  graph.set_group(graph.value(out).producer, group);
  return out;
}

}  // namespace gb::graph
