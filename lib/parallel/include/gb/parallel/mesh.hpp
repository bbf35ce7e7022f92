// mesh.hpp: 3D parallelism's device mesh (lesson 15): which device holds which (data, tensor,
// pipeline) coordinate, and the groups that talk to each other.
//
// dp x tp x pp devices. Tensor parallelism all-reduces activations twice per layer in forward and
// twice in backward, so its groups must be the fastest links: TP ranks are consecutive devices, inside
// one node. Pipeline stages exchange only one activation per micro-batch, so they can cross nodes: the
// pipeline coordinate varies slowest. Data parallelism fills the rest:
//     device = tp_rank + tp x (dp_rank + dp x pp_stage)      (Megatron-LM's order: tp, dp, pp)
// A TP group is the tp devices of one (dp, pp); a DP group the dp devices of one (tp, pp), which all-
// reduce the gradients of the same shard of the same stage; a PP group the pp devices of one (dp, tp).
#pragma once

#include <string>
#include <vector>

namespace gb::parallel {

struct MeshCoord {
  int dp = 0, tp = 0, pp = 0;
  bool operator==(const MeshCoord&) const = default;
};

class Mesh {
 public:
  // Throws gb::Error for a size < 1 or more than 2^24 devices.
  Mesh(int dp, int tp, int pp);
  int dp() const { return dp_; }
  int tp() const { return tp_; }
  int pp() const { return pp_; }
  int size() const { return dp_ * tp_ * pp_; }

  int device(MeshCoord c) const;  // throws gb::Error for a coordinate out of range
  MeshCoord coord(int device) const;  // throws gb::Error for a device out of range
  // The groups `device` belongs to, as device ids in rank order.
  std::vector<int> tp_group(int device) const;
  std::vector<int> dp_group(int device) const;
  std::vector<int> pp_group(int device) const;  // stage 0 first
  // Every group of one kind, each once (e.g. dp x pp TP groups).
  std::vector<std::vector<int>> tp_groups() const;
  std::vector<std::vector<int>> dp_groups() const;
  std::vector<std::vector<int>> pp_groups() const;
  // True when every TP group lies inside one node of devices_per_node devices (the placement's point).
  bool tp_within_nodes(int devices_per_node) const;
  std::string describe() const;  // "dp 2 x tp 4 x pp 2 = 16 devices"

 private:
  int dp_, tp_, pp_;
};

}  // namespace gb::parallel
