// ptq.hpp: post-training quantization of the gb_nn digits models, and the integer model they export to
// (lessons 24-25).
//
// Three objects, in the order a model meets them:
//
// 1. QuantModel: a copy of a float Sequential with FakeQuant inserted (the "fake-quant model"). Each
//    Conv2d [+ BatchNorm] [+ ReLU] and each Linear [+ ReLU] becomes one QuantStage: BatchNorm folded into
//    the convolution (fold.hpp), the folded weights fake-quantized per output channel (int8 symmetric,
//    restricted to [-127, 127]: S_c = max|W'_c| / 127), and the stage's output (after the ReLU, where the
//    integer kernel requantizes) fake-quantized per tensor by a FakeQuantize with an observer. The input
//    of the model gets a FakeQuantize too. MaxPool2d, Flatten and Dropout are kept as they are: max
//    pooling and flattening commute with the (monotone) quantization map, so they work on codes.
//    The same object is calibrated (PTQ, observers on, fake quantization off) and fine-tuned (QAT).
//
// 2. Int8Model: what a QuantModel exports to. Activations are uint8 affine codes end to end (PyTorch's
//    fbgemm/qnnpack convention: the kernels of qgemm.hpp take uint8 activations and int8 weights),
//    each convolution and linear layer one integer kernel (qconv2d / qlinear) with its ReLU fused into
//    the requantization, max pooling and flattening on the codes; only the final logits are
//    dequantized. A layer can be left in float (the mixed-precision fallback for sensitive layers).
//
// 3. Dynamic quantization: weights quantized offline, each layer's input quantized at run time from its
//    own min and max (per batch), an integer GEMM, and the int32 result scaled back to float
//    (y = S_x S_w acc + b): no calibration, but float between the layers.
//
// Static activations are uint8 affine, per tensor (after a ReLU the range is [0, max], so all 256
// codes serve real values); weights are int8 symmetric per channel (the zero point 0 keeps the integer
// GEMM's correction terms away). The calibrators (calibrate.hpp) give a symmetric threshold T for the
// clipping methods (percentile, kl, mse): the activation range becomes [max(min, -T), min(max, T)].
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gb/kernels/conv.hpp"
#include "gb/kernels/pool.hpp"
#include "gb/nn/data.hpp"
#include "gb/nn/layers.hpp"
#include "gb/quant/calibrate.hpp"
#include "gb/quant/fake_quant.hpp"
#include "gb/quant/fold.hpp"
#include "gb/quant/qparams.hpp"

namespace gb::quant {

// The grid of a layer's weights: int8, symmetric, restricted, one scale per output channel (axis 0).
QParams weight_qparams(const Tensor& w);

// --- 1. the fake-quant model ----------------------------------------------------------------------------

// One integer layer in float clothes:  y = act( relu?( layer(x, fq(W'), b') ) )
class QuantStage : public nn::Module {
 public:
  QuantStage(std::string label, std::shared_ptr<nn::Conv2d> conv, std::shared_ptr<nn::BatchNorm> bn, bool relu,
             const FakeQuantOptions& activations);
  QuantStage(std::string label, std::shared_ptr<nn::Linear> linear, bool relu, const FakeQuantOptions& activations);
  Variable forward(const Variable& x) override;
  std::string describe() const override;

  bool is_conv() const { return conv != nullptr; }
  // The layer's float weights and bias with the BatchNorm folded (eval), and their weight grid.
  FoldedConv folded() const;

  std::string label;  // "conv1", "conv2", "fc", "fc1": how tables and captions name the layer
  std::shared_ptr<nn::Conv2d> conv;     // either conv (with bn or none) ...
  std::shared_ptr<nn::BatchNorm> bn;
  std::shared_ptr<nn::Linear> linear;   // ... or linear
  bool relu = false;
  std::shared_ptr<FakeQuantize> output;  // the activation grid the integer layer writes
  bool quantize_weights = true;          // fake-quantize W' (off: float weights, for sensitivity)
};

class QuantModel : public nn::Module {
 public:
  explicit QuantModel(const FakeQuantOptions& activations = {});
  Variable forward(const Variable& x) override;  // input fake quant, then each layer
  std::string describe() const override { return "QuantModel"; }
  void add(std::shared_ptr<nn::Module> layer);   // a QuantStage, MaxPool2d, Flatten, Dropout or ReLU

  std::shared_ptr<FakeQuantize> input;
  std::vector<std::shared_ptr<nn::Module>> layers;
  std::vector<std::shared_ptr<QuantStage>> stages() const;
  std::vector<std::shared_ptr<FakeQuantize>> activation_quantizers() const;  // input, then each stage's output

  void set_calibrating(bool on);     // every observer watches in eval mode too
  void enable_fake_quant(bool on);   // weights and activations
  void reset_observers(Calibrator method);
};

// Copies `model` (its weights are not shared: QAT may change the copy) into a QuantModel. Accepted
// layer sequences: Conv2d [BatchNorm] [ReLU], Linear [ReLU], MaxPool2d, Flatten, Dropout, ReLU.
// Anything else is a gb::Error naming the layer. Stages are labelled conv1, conv2, ..., fc1, fc2, ...
// (a single linear layer is "fc").
std::shared_ptr<QuantModel> prepare_quant_model(const nn::Sequential& model, const FakeQuantOptions& activations = {});

// PTQ calibration: `batches` batches of `batch_size` from `data` (shuffled by `seed`) through the model
// in eval mode with every observer on and fake quantization off (the observers see float
// activations), then fake quantization on. The observers are reset to `method` first.
void calibrate_model(QuantModel& model, const nn::Dataset& data, Calibrator method, std::int64_t batches,
                     std::int64_t batch_size = 32, std::uint64_t seed = 0);

// --- 2. the integer model --------------------------------------------------------------------------------

struct Int8Layer {
  enum class Kind { conv, linear, max_pool, flatten, relu };
  Kind kind = Kind::flatten;
  std::string label;
  // conv and linear:
  QTensor weight;               // int8, per output channel, symmetric
  Tensor bias;                  // f32 [OC] (becomes int32 in the requantization)
  Tensor float_weight;          // the folded f32 weights (for the float fallback)
  kernels::Conv2dParams conv{};
  QParams input, output;        // uint8 per-tensor grids of its input and output activations
  bool relu = false;            // fused into the requantization (qmin raised to the zero point)
  bool integer = true;          // false: computed in float on dequantized input (a skipped layer)
  // max_pool:
  kernels::Pool2dParams pool{};
};

class Int8Model {
 public:
  QParams input;                  // the grid of the images
  std::vector<Int8Layer> layers;
  bool dynamic = false;           // dynamic quantization (see above) instead of static grids
  // images f32 [N, 1, 8, 8] -> logits f32 [N, classes] (dequantized at the very end).
  Tensor forward(const Tensor& images) const;
  std::string str() const;  // one line per layer: kind, label, grids
  std::int64_t integer_layers() const;
};

// The static integer model of a calibrated (or fine-tuned) QuantModel; layers labelled in
// `float_layers` stay float (their inputs dequantized, their outputs quantized again for the next
// integer layer). gb::Error when an activation grid was never observed.
Int8Model export_int8(const QuantModel& model, const std::set<std::string>& float_layers = {});

// Dynamic quantization of a float model (BatchNorm folded): no calibration.
Int8Model dynamic_int8(const nn::Sequential& model);

// The fraction of `data` an integer model classifies right (in batches of batch_size).
double int8_accuracy(const Int8Model& model, const nn::Dataset& data, std::int64_t batch_size = 256);

// uint8 building blocks of the integer model (exposed for tests): max pooling on codes (the max of
// codes is the code of the max: quantization is monotone) and the uint8 im2col of dynamic convolution
// (padding reads the zero point, the code of real 0). Rows: one per output pixel (n, oh, ow);
// columns: (ic, kh, kw), the order of a weight row.
QTensor max_pool2d_codes(const QTensor& x, const kernels::Pool2dParams& p);
Tensor im2col_u8(const Tensor& x, const kernels::ConvShape& s, std::uint8_t pad_value);

// --- 3. comparing with the float model, layer-wise sensitivity --------------------------------------------

// How a quantized model's logits compare with the float model's on the same images: accuracy against
// the labels, agreement (the fraction of images where both predict the same class), and the RMS
// difference of the logits (the quantization noise that reaches the output, in logit units).
struct LogitComparison {
  double accuracy = 0, agreement = 0, logit_rms = 0;
};
LogitComparison compare_logits(const Tensor& logits, const Tensor& reference, const Tensor& labels);

struct LayerSensitivity {
  std::string label;
  double accuracy = 0;   // only this layer integer, the others float
  double drop = 0;       // fp32 accuracy - accuracy, in points (percent)
  double logit_rms = 0;  // RMS difference of the logits to the float model's
};
// For each stage of a calibrated QuantModel: the Int8Model with only that layer integer (true
// integer kernels) on `test`, against the float model's logits there (fp32_logits [N, classes]) and
// the labels. Sorted as the layers come.
std::vector<LayerSensitivity> layer_sensitivity(const QuantModel& model, const nn::Dataset& test, const Tensor& fp32_logits);
// The labels of the k most sensitive layers: the largest accuracy drop first; on equal drops, the
// larger logit error (then the earlier layer).
std::set<std::string> most_sensitive(const std::vector<LayerSensitivity>& s, std::int64_t k);

}  // namespace gb::quant
