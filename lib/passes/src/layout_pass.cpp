// layout_pass.cpp: NC4HW4 regions with conversions only at their boundaries (layout_pass.hpp, lesson 17).
//
// The pass in three steps:
//   1. Candidates: the nodes that can run on NC4HW4 tensors.
//        Conv / FusedConv   group 1, f32 4-D input and output with known channels, a 4-D weight,
//                           auto_pad NOTSET or VALID                              -> ConvNC4HW4
//        Relu               f32 4-D input with known channels                     -> ReluNC4HW4
//        Add                two f32 4-D inputs of one static shape (no broadcast) -> AddNC4HW4
//   2. Regions: candidates joined by the activations flowing between them (union-find over the edges
//      producer -> consumer), i.e. maximal connected groups. A region without a convolution is dropped:
//      converting in and out costs more than a Relu or an Add gains from the layout.
//   3. Rewrite (Rewriter, in topological order). Each value a region reads from outside is converted
//      NCHW -> NC4HW4 once (LayoutConvert, made when the first region op needs it); each region value read
//      outside the region (by another op, as a weight, or as a graph output) is converted back
//      NC4HW4 -> NCHW once, right after its producer. Values inside the region stay NC4HW4.
// A chain Conv -> Relu -> Conv -> Add(residual x) -> Relu becomes one region: one conversion of x in,
// one conversion of the result out, whatever the chain's length. Weights and biases stay as they are:
// ConvNC4HW4 packs them into 4x4 tiles when it runs. One Rewrite per region lists its ops and conversions.
#include <algorithm>
#include <map>
#include <numeric>
#include <sstream>

#include "fused_ops_internal.hpp"
#include "gb/core/shape.hpp"
#include "gb/passes/fused_ops.hpp"
#include "gb/passes/layout_pass.hpp"
#include "gb/passes/rewriter.hpp"

namespace gb::passes {

namespace {

bool is_nchw_activation(const graph::ValueInfo& info) {
  return info.dtype == DType::f32 && info.shape.size() == 4 && info.shape[1] >= 0;
}

bool is_conv(const Node& n) { return n.op == "Conv" || n.op == "FusedConv"; }

// Step 1: whether node n can run in NC4HW4.
bool is_candidate(const Graph& g, const Node& n) {
  const auto info = [&](ValueId v) -> const graph::ValueInfo& { return g.value(v).info; };
  if (is_conv(n)) {
    if (n.inputs.size() < 2 || n.outputs.size() != 1) return false;
    if (detail::int_attr(n, "group", 1) != 1 || !detail::fusable_conv_attrs(n)) return false;
    const Shape& w = info(n.inputs[1]).shape;
    return is_nchw_activation(info(n.inputs[0])) && is_nchw_activation(info(n.outputs[0])) && w.size() == 4 &&
           info(n.inputs[1]).dtype == DType::f32 && w[0] >= 0 && w[1] >= 0;
  }
  if (n.op == "Relu") return n.inputs.size() == 1 && is_nchw_activation(info(n.inputs[0]));
  if (n.op == "Add") {
    if (n.inputs.size() != 2) return false;
    const graph::ValueInfo &a = info(n.inputs[0]), &b = info(n.inputs[1]);
    if (!is_nchw_activation(a) || !(a == b)) return false;
    for (std::int64_t s : a.shape) {
      if (s < 0) return false;
    }
    return true;
  }
  return false;
}

// The inputs of a region op that are activations (NC4HW4 inside a region): X and FusedConv's Z of a
// convolution, every input of Relu and Add. Weights and biases are read as they are.
std::vector<std::size_t> activation_inputs(const Node& n) {
  if (is_conv(n)) return n.inputs.size() == 4 ? std::vector<std::size_t>{0, 3} : std::vector<std::size_t>{0};
  std::vector<std::size_t> all(n.inputs.size());
  std::iota(all.begin(), all.end(), 0);
  return all;
}

// Step 2: region[node] = a region id, or -1 outside every region.
std::vector<int> find_regions(const Graph& g) {
  std::vector<std::size_t> parent(g.size());  // union-find: a node's parent, the root names the group
  std::iota(parent.begin(), parent.end(), 0);
  const auto root = [&](NodeId id) {
    auto a = static_cast<std::size_t>(id);
    while (parent[a] != a) a = parent[a] = parent[parent[a]];  // path halving
    return a;
  };
  std::vector<bool> candidate(g.size(), false);
  for (const Node& n : g.nodes()) candidate[static_cast<std::size_t>(n.id)] = is_candidate(g, n);
  for (const Node& n : g.nodes()) {
    if (!candidate[static_cast<std::size_t>(n.id)]) continue;
    for (std::size_t i : activation_inputs(n)) {
      const NodeId p = g.value(n.inputs[i]).producer;
      if (candidate[static_cast<std::size_t>(p)]) parent[root(p)] = root(n.id);
    }
  }
  // Keep the groups that hold a convolution; number them in node order.
  std::map<std::size_t, bool> has_conv;
  for (const Node& n : g.nodes()) {
    if (candidate[static_cast<std::size_t>(n.id)] && is_conv(n)) has_conv[root(n.id)] = true;
  }
  std::map<std::size_t, int> number;
  std::vector<int> region(g.size(), -1);
  for (const Node& n : g.nodes()) {
    if (!candidate[static_cast<std::size_t>(n.id)] || !has_conv.count(root(n.id))) continue;
    const auto it = number.emplace(root(n.id), static_cast<int>(number.size())).first;
    region[static_cast<std::size_t>(n.id)] = it->second;
  }
  return region;
}

// Step 3: the rewrite.
class LayoutRewrite {
 public:
  explicit LayoutRewrite(const Graph& source) : source_(source), rw_(source), region_(find_regions(source)) {}

  Graph run(std::vector<Rewrite>& log) {
    for (NodeId id : rw_.order()) {
      const int r = region_[static_cast<std::size_t>(id)];
      if (r < 0) {
        rw_.copy(id);
        continue;
      }
      emit_region_op(source_.node(id), r);
    }
    for (auto& [r, rewrite] : rewrites_) {
      const Counts& c = counts_[r];
      std::ostringstream detail;
      detail << rewrite.before.size() << " ops in NC4HW4 (" << c.ops << "): " << c.in << " conversion"
             << (c.in == 1 ? "" : "s") << " NCHW -> NC4HW4, " << c.out << " NC4HW4 -> NCHW";
      rewrite.detail = detail.str();
      log.push_back(std::move(rewrite));
    }
    return rw_.finish();
  }

 private:
  struct Counts {
    int in = 0, out = 0;
    std::string ops;
  };

  // The NC4HW4 version of source value v for region r: made inside the region, or converted once.
  ValueId blocked(ValueId v, int r) {
    const auto it = blocked_.find(v);
    if (it != blocked_.end()) return it->second;
    const ValueId nchw = rw_.map(v);
    const NodeId like = source_.value(v).producer;
    const ValueId out = rw_.emit1("LayoutConvert", {nchw}, {{"from", std::string("NCHW")}, {"to", std::string("NC4HW4")}},
                                  "to_nc4hw4", like);
    rw_.target().set_value_name(out, source_.value(v).name + "_nc4hw4");
    rewrites_[r].after.push_back(rw_.target().value(out).producer);
    ++counts_[r].in;
    return blocked_[v] = out;
  }

  // Whether source value v, made in region r, is read anywhere but as an activation of region r.
  bool read_outside(ValueId v, int r) const {
    for (ValueId o : source_.outputs()) {
      if (o == v) return true;
    }
    for (NodeId c : source_.consumers(v)) {
      const Node& n = source_.node(c);
      if (region_[static_cast<std::size_t>(c)] != r) return true;
      const std::vector<std::size_t> act = activation_inputs(n);
      for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        if (n.inputs[i] == v && std::find(act.begin(), act.end(), i) == act.end()) return true;
      }
    }
    return false;
  }

  void emit_region_op(const Node& n, int r) {
    Rewrite& rewrite = rewrites_[r];
    if (rewrite.rule.empty()) rewrite.rule = "nc4hw4_region";
    rewrite.before.push_back(n.id);
    std::vector<ValueId> inputs;
    std::string op;
    Attributes attrs;
    if (is_conv(n)) {
      op = "ConvNC4HW4";
      attrs = n.attrs;
      inputs = {blocked(n.inputs[0], r), rw_.map(n.inputs[1])};
      if (n.inputs.size() >= 3) {
        inputs.push_back(rw_.map(n.inputs[2]));
      } else {
        const std::int64_t filters = source_.value(n.inputs[1]).info.shape[0];
        const ValueId zero = rw_.constant(Tensor::zeros({filters}, DType::f32), n.name + "_zero_bias");
        rewrite.after.push_back(rw_.target().value(zero).producer);
        inputs.push_back(zero);
      }
      if (n.inputs.size() == 4) inputs.push_back(blocked(n.inputs[3], r));
    } else {
      op = n.op + "NC4HW4";
      for (ValueId v : n.inputs) inputs.push_back(blocked(v, r));
    }
    const ValueId v = n.outputs[0];
    const ValueId out = rw_.emit1(op, inputs, std::move(attrs), n.name, n.id);
    rw_.target().set_value_name(out, source_.value(v).name + "_nc4hw4");
    rewrite.after.push_back(rw_.target().value(out).producer);
    Counts& c = counts_[r];
    c.ops += (c.ops.empty() ? "" : ", ") + op;
    blocked_[v] = out;
    if (!read_outside(v, r)) return;
    // Read outside the region: back to NCHW once, right here.
    const std::int64_t channels = source_.value(v).info.shape[1];
    const ValueId nchw = rw_.emit1("LayoutConvert", {out},
                                   {{"from", std::string("NC4HW4")}, {"to", std::string("NCHW")}, {"channels", channels}},
                                   "to_nchw", n.id);
    rw_.target().set_value_name(nchw, source_.value(v).name);
    rw_.replace(v, nchw);
    rewrite.after.push_back(rw_.target().value(nchw).producer);
    ++c.out;
  }

  const Graph& source_;
  Rewriter rw_;
  std::vector<int> region_;
  std::map<ValueId, ValueId> blocked_;  // source value -> its NC4HW4 target value
  std::map<int, Rewrite> rewrites_;
  std::map<int, Counts> counts_;
};

}  // namespace

Pass nc4hw4_layout() {
  register_fused_ops();
  Pass p;
  p.name = "nc4hw4_layout";
  p.stage = "layout";
  p.doc = "NC4HW4 regions (Conv group 1, Relu, Add) with LayoutConvert only at their boundaries";
  p.run = [](const Graph& graph, std::vector<Rewrite>& log) { return LayoutRewrite(graph).run(log); };
  return p;
}

}  // namespace gb::passes
