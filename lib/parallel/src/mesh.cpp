// mesh.cpp: the device mesh of mesh.hpp. device = tp_rank + tp x (dp_rank + dp x pp_stage).
#include "gb/parallel/mesh.hpp"

#include <string>

#include "gb/core/error.hpp"

namespace gb::parallel {

Mesh::Mesh(int dp, int tp, int pp) : dp_(dp), tp_(tp), pp_(pp) {
  if (dp < 1 || tp < 1 || pp < 1) {
    throw Error("Mesh", "dp, tp and pp of at least 1",
                "dp " + std::to_string(dp) + ", tp " + std::to_string(tp) + ", pp " + std::to_string(pp));
  }
  // Sizes are ints: dp x tp (< 2^62) is checked before it is multiplied by pp, so nothing overflows.
  const long long dp_tp = static_cast<long long>(dp) * tp;
  if (dp_tp > (1LL << 24) || dp_tp * pp > (1LL << 24)) {
    throw Error("Mesh", "at most 2^24 devices",
                "dp " + std::to_string(dp) + " x tp " + std::to_string(tp) + " x pp " + std::to_string(pp));
  }
}

int Mesh::device(MeshCoord c) const {
  if (c.dp < 0 || c.dp >= dp_ || c.tp < 0 || c.tp >= tp_ || c.pp < 0 || c.pp >= pp_) {
    throw Error("Mesh::device", "a coordinate inside " + describe(),
                "dp " + std::to_string(c.dp) + ", tp " + std::to_string(c.tp) + ", pp " + std::to_string(c.pp));
  }
  return c.tp + tp_ * (c.dp + dp_ * c.pp);
}

MeshCoord Mesh::coord(int device) const {
  if (device < 0 || device >= size()) {
    throw Error("Mesh::coord", "a device in [0, " + std::to_string(size()) + ")", std::to_string(device));
  }
  return MeshCoord{(device / tp_) % dp_, device % tp_, device / (tp_ * dp_)};
}

std::vector<int> Mesh::tp_group(int d) const {
  MeshCoord c = coord(d);
  std::vector<int> g;
  for (c.tp = 0; c.tp < tp_; ++c.tp) g.push_back(device(c));
  return g;
}

std::vector<int> Mesh::dp_group(int d) const {
  MeshCoord c = coord(d);
  std::vector<int> g;
  for (c.dp = 0; c.dp < dp_; ++c.dp) g.push_back(device(c));
  return g;
}

std::vector<int> Mesh::pp_group(int d) const {
  MeshCoord c = coord(d);
  std::vector<int> g;
  for (c.pp = 0; c.pp < pp_; ++c.pp) g.push_back(device(c));
  return g;
}

std::vector<std::vector<int>> Mesh::tp_groups() const {
  std::vector<std::vector<int>> out;
  for (int p = 0; p < pp_; ++p)
    for (int d = 0; d < dp_; ++d) out.push_back(tp_group(device({d, 0, p})));
  return out;
}

std::vector<std::vector<int>> Mesh::dp_groups() const {
  std::vector<std::vector<int>> out;
  for (int p = 0; p < pp_; ++p)
    for (int t = 0; t < tp_; ++t) out.push_back(dp_group(device({0, t, p})));
  return out;
}

std::vector<std::vector<int>> Mesh::pp_groups() const {
  std::vector<std::vector<int>> out;
  for (int d = 0; d < dp_; ++d)
    for (int t = 0; t < tp_; ++t) out.push_back(pp_group(device({d, t, 0})));
  return out;
}

bool Mesh::tp_within_nodes(int devices_per_node) const {
  if (devices_per_node < 1) throw Error("Mesh::tp_within_nodes", "devices_per_node >= 1", std::to_string(devices_per_node));
  for (const auto& g : tp_groups()) {
    if (g.front() / devices_per_node != g.back() / devices_per_node) return false;  // consecutive ids
  }
  return true;
}

std::string Mesh::describe() const {
  return "dp " + std::to_string(dp_) + " x tp " + std::to_string(tp_) + " x pp " + std::to_string(pp_) + " = " +
         std::to_string(size()) + " devices";
}

}  // namespace gb::parallel
