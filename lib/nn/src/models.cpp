// models.cpp: digits_mlp and digits_cnn as Sequentials of layers (models.hpp).
#include "gb/nn/models.hpp"

#include "gb/core/error.hpp"

namespace gb::nn {

std::shared_ptr<Sequential> digits_mlp(std::uint64_t seed) {
  Rng rng(seed);  // every layer's initial weights come from this one generator, in layer order
  auto model = std::make_shared<Sequential>();
  model->add(std::make_shared<Flatten>())  // [N, 1, 8, 8] -> [N, 64]
      .add(std::make_shared<Linear>(64, 128, rng))
      .add(std::make_shared<ReLU>())
      .add(std::make_shared<Linear>(128, 64, rng))
      .add(std::make_shared<ReLU>())
      .add(std::make_shared<Linear>(64, 10, rng));
  return model;
}

std::shared_ptr<Sequential> digits_cnn(std::uint64_t seed) {
  Rng rng(seed);
  const auto same = kernels::Conv2dParams::square(/*stride=*/1, /*pad=*/1);  // 3 x 3, pad 1: 8 x 8 stays 8 x 8
  const auto halve = kernels::Pool2dParams::square(2);                        // 2 x 2 windows, stride 2
  auto model = std::make_shared<Sequential>();
  model->add(std::make_shared<Conv2d>(1, 16, 3, rng, same))  // [N, 16, 8, 8]
      .add(std::make_shared<BatchNorm>(16, /*spatial=*/true))
      .add(std::make_shared<ReLU>())
      .add(std::make_shared<MaxPool2d>(halve))  // [N, 16, 4, 4]
      .add(std::make_shared<Conv2d>(16, 32, 3, rng, same))
      .add(std::make_shared<BatchNorm>(32, /*spatial=*/true))
      .add(std::make_shared<ReLU>())
      .add(std::make_shared<MaxPool2d>(halve))  // [N, 32, 2, 2]
      .add(std::make_shared<Flatten>())         // [N, 128]
      .add(std::make_shared<Dropout>(0.25, seed + 1))
      .add(std::make_shared<Linear>(128, 10, rng));
  return model;
}

std::shared_ptr<Sequential> digits_model(const std::string& name, std::uint64_t seed) {
  if (name == "mlp") return digits_mlp(seed);
  if (name == "cnn") return digits_cnn(seed);
  throw Error("digits_model", "a model name, mlp or cnn", "'" + name + "'");
}

std::vector<std::pair<std::string, Rng*>> model_rngs(Module& model, const std::string& prefix) {
  std::vector<std::pair<std::string, Rng*>> out;
  if (auto* dropout = dynamic_cast<Dropout*>(&model)) out.emplace_back(prefix, &dropout->rng);
  for (const auto& [name, child] : model.children())
    for (auto& entry : model_rngs(*child, prefix + "." + name)) out.push_back(entry);
  return out;
}

}  // namespace gb::nn
