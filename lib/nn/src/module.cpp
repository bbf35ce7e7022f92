// module.cpp: names, parameters, buffers and modes of a Module tree (module.hpp).
#include "gb/nn/module.hpp"

#include <set>
#include <sstream>

#include "gb/core/error.hpp"
#include "gb/core/dtype.hpp"
#include "gb/core/shape.hpp"

namespace gb::nn {

std::vector<std::pair<std::string, Variable>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Variable>> out = params_;
  for (const auto& [name, child] : children_)
    for (auto& [sub, p] : child->named_parameters()) out.emplace_back(name + "." + sub, p);
  return out;
}

std::vector<Variable> Module::parameters() const {
  std::vector<Variable> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out = buffers_;
  for (const auto& [name, child] : children_)
    for (auto& [sub, b] : child->named_buffers()) out.emplace_back(name + "." + sub, b);
  return out;
}

std::int64_t Module::parameter_count() const {
  std::int64_t n = 0;
  for (const auto& [name, p] : named_parameters()) n += p.numel();
  return n;
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> out;
  for (const auto& [name, p] : named_parameters()) out[name] = p.value();
  for (const auto& [name, b] : named_buffers()) out[name] = b;
  return out;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state) {
  std::map<std::string, Tensor> own = state_dict();
  for (const auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) throw Error("load_state_dict", "an entry '" + name + "'", "none");
    if (!it->second.defined() || it->second.shape() != t.shape() || it->second.dtype() != t.dtype())
      throw Error("load_state_dict", "'" + name + "' as " + std::string(dtype_name(t.dtype())) + shape_str(t.shape()),
                  it->second.defined() ? std::string(dtype_name(it->second.dtype())) + shape_str(it->second.shape())
                                       : std::string("an undefined tensor"));
  }
  for (const auto& [name, t] : state)
    if (!own.count(name)) throw Error("load_state_dict", "only the module's own keys", "unexpected key '" + name + "'");
  for (auto& [name, t] : own) {
    Tensor dst = t;  // shares storage with the parameter or buffer
    dst.copy_from(state.at(name));
  }
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (auto& [name, p] : named_parameters()) p.zero_grad();
}

std::string Module::str() const {
  std::ostringstream out;
  out << describe();
  for (const auto& [name, child] : children_) {
    std::istringstream lines(child->str());
    std::string line;
    bool first = true;
    while (std::getline(lines, line)) {
      out << "\n  " << (first ? "(" + name + "): " : std::string()) << line;
      first = false;
    }
  }
  return out.str();
}

Variable Module::register_parameter(const std::string& name, Tensor value) {
  for (const auto& [n, p] : params_)
    if (n == name) throw Error("register_parameter", "a new name", "'" + name + "' twice");
  Variable v(std::move(value), /*requires_grad=*/true, name);
  params_.emplace_back(name, v);
  return v;
}

void Module::register_buffer(const std::string& name, Tensor value) { buffers_.emplace_back(name, std::move(value)); }

Tensor& Module::buffer(const std::string& name) {
  for (auto& [n, b] : buffers_)
    if (n == name) return b;
  throw Error("buffer", "a registered buffer", "'" + name + "'");
}

void Module::register_module(const std::string& name, std::shared_ptr<Module> child) {
  if (!child) throw Error("register_module", "a module", "null for '" + name + "'");
  children_.emplace_back(name, std::move(child));
}

}  // namespace gb::nn
