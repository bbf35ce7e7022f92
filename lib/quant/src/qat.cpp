// qat.cpp: quantization-aware training of a calibrated QuantModel (qat.hpp).
#include <cmath>

#include "gb/core/error.hpp"
#include "gb/nn/optim.hpp"
#include "gb/quant/qat.hpp"

namespace gb::quant {

QatResult quantization_aware_training(QuantModel& model, const nn::Split& split, const QatOptions& o,
                                      const std::string& model_name) {
  const std::string op = "quantization_aware_training";
  const std::int64_t epochs =
      o.epochs > 0 ? o.epochs
                   : std::max<std::int64_t>(1, std::llround(0.1 * static_cast<double>(nn::default_epochs(model_name))));
  if (!(o.lr > 0) || !std::isfinite(o.lr)) throw Error(op, "a learning rate > 0", std::to_string(o.lr));
  if (o.batch_size < 1) throw Error(op, "a batch size >= 1", std::to_string(o.batch_size));
  if (o.max_batches < 0) throw Error(op, "max_batches >= 0", std::to_string(o.max_batches));
  if (o.epochs < 0) throw Error(op, "epochs >= 1 (or 0 for 10% of the model's default)", std::to_string(o.epochs));
  for (const auto& q : model.activation_quantizers())
    if (!q->has_range()) throw Error(op, "a calibrated model (every activation grid observed: calibrate_model first)",
                                     "a FakeQuantize with no range");
  // The starting point is the PTQ model: fake quantization on everywhere, weights from the float run.
  model.enable_fake_quant(true);
  nn::AdamOptions adam;
  adam.lr = o.lr;
  nn::Adam optimizer(model.parameters(), adam);
  const nn::DataLoader loader(split.train, o.batch_size, /*shuffle=*/true, o.seed);
  nn::TrainingState state;
  state.seed = o.seed;
  state.batch_size = o.batch_size;
  nn::FitOptions fit;
  fit.epochs = epochs;
  fit.max_batches = o.max_batches;
  // The same loop as fp32 training (train.hpp): forward through fake quant, cross-entropy, backward
  // through the straight-through estimator, an Adam step on the float weights underneath.
  QatResult r;
  r.start_accuracy = nn::evaluate(model, split.test).accuracy;  // the PTQ starting point, fake-quantized
  nn::fit(model, optimizer, /*scheduler=*/nullptr, loader, split.test, /*rngs=*/{}, state, fit);
  model.eval();
  r.history = state.history;
  r.accuracy = state.history.test_accuracy.back();
  return r;
}

}  // namespace gb::quant
