// checkpoint_test.cpp: the GBCKPT format, atomic writes, and all-or-nothing loading of a training run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../../fuzz/checkpoint_fuzz_model.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/nn/checkpoint.hpp"
#include "test_helpers.hpp"

namespace {

using gb::DType;
using gb::Tensor;
using gb::autodiff::Variable;
namespace nn = gb::nn;
namespace fs = std::filesystem;

// A hand-written Module: y = x * weight + bias, with a buffer that counts forward calls.
class Affine : public nn::Module {
 public:
  explicit Affine(std::int64_t n, std::uint64_t seed = 1) {
    gb::Rng rng(seed);
    weight = register_parameter("weight", rng.normal(gb::Shape{n}));
    bias = register_parameter("bias", rng.normal(gb::Shape{n}));
    register_buffer("calls", Tensor::zeros({}, DType::i64));
  }
  Variable forward(const Variable& x) override {
    *buffer("calls").data<std::int64_t>() += 1;
    return gb::autodiff::add(gb::autodiff::mul(x, weight), bias);
  }
  std::string describe() const override { return "Affine()"; }
  Variable weight, bias;
};

// A fresh folder per test.
class CheckpointFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("gb_checkpoint_test_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  fs::path dir;
};

// A run of a few steps: the model, its Adam optimizer and schedule, a generator, and the counters.
struct TinyRun {
  Affine model{5};
  nn::Adam optimizer{model.parameters(), {.lr = 0.05}};
  nn::StepLR schedule{optimizer, 1, 0.5};
  gb::Rng rng{99};
  nn::TrainingState state = [] {
    nn::TrainingState s;
    s.seed = 42;
    s.batch_size = 1;
    return s;
  }();
  nn::RngList rngs() { return {{"noise", &rng}}; }

  void train(int steps) {
    for (int s = 0; s < steps; ++s) {
      const Variable x(rng.normal(gb::Shape{5}));
      optimizer.zero_grad();
      gb::autodiff::sum(gb::autodiff::mul(model(x), model(x))).backward();
      optimizer.step();
      state.history.step_loss.push_back(static_cast<double>(s));
      state.step += 1;
    }
    schedule.step();
    state.epoch += 1;
    for (auto* series : {&state.history.train_loss, &state.history.train_accuracy, &state.history.test_loss,
                         &state.history.test_accuracy, &state.history.lr, &state.history.seconds})
      series->push_back(0.25 * static_cast<double>(state.epoch));
  }
};

std::vector<std::vector<double>> values_of(const nn::Module& m) {
  std::vector<std::vector<double>> out;
  for (const auto& [name, t] : m.state_dict()) out.push_back(t.to_vector());
  return out;
}

std::string bytes_of(const std::string& path) { return nn::read_file(path, "test"); }
void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

TEST(CheckpointFormat, RoundTripsEveryDtypeAndShapeBitForBit) {
  nn::TensorMap entries;
  entries["f32"] = Tensor::from_values({1.5, -0.0, 3.25e-30}, {3}, DType::f32);
  entries["f64"] = Tensor::from_values({1.0 / 3, std::numeric_limits<double>::infinity()}, {1, 2}, DType::f64);
  entries["i8"] = Tensor::from_values({-128, 127}, {2}, DType::i8);
  entries["u8"] = Tensor::from_values({255}, {1, 1, 1}, DType::u8);
  entries["i32"] = Tensor::from_values({-7}, {}, DType::i32);
  entries["i64"] = Tensor::from_values({9007199254740993.0}, {1}, DType::i64);
  entries["empty"] = Tensor::zeros({0, 4}, DType::f32);
  entries["view"] = Tensor::arange(6).reshape({2, 3}).transpose();  // non-contiguous: stored row-major
  const nn::TensorMap back = nn::decode_checkpoint(nn::encode_checkpoint(entries));
  ASSERT_EQ(back.size(), entries.size());
  for (const auto& [name, t] : entries) {
    const Tensor& b = back.at(name);
    EXPECT_EQ(b.dtype(), t.dtype()) << name;
    EXPECT_EQ(b.shape(), t.shape()) << name;
    EXPECT_EQ(b.to_vector(), t.to_vector()) << name;
  }
  EXPECT_TRUE(std::signbit(back.at("f32").at({1})));
}

TEST(CheckpointFormat, MalformedBytesAreErrors) {
  const std::string good = nn::encode_checkpoint({{"w", Tensor::ones({4})}});
  EXPECT_ERROR(nn::decode_checkpoint(""), "read_checkpoint", "at least");
  std::string magic = good;
  magic[0] = 'X';
  EXPECT_ERROR(nn::decode_checkpoint(magic), "magic");
  std::string flipped = good;
  flipped[30] ^= 0x10;
  EXPECT_ERROR(nn::decode_checkpoint(flipped), "CRC-32");
  EXPECT_ERROR(nn::decode_checkpoint(good.substr(0, good.size() - 1)), "read_checkpoint");
  EXPECT_ERROR(nn::encode_checkpoint({{"", Tensor::ones({1})}}), "entry names");
  EXPECT_ERROR(nn::encode_checkpoint({{"u", Tensor()}}), "defined tensors");
}

TEST_F(CheckpointFiles, RunRoundTripIsBitExact) {
  TinyRun a;
  a.train(3);
  const std::string file = path("run.gbckpt");
  nn::save_checkpoint(file, a.model, a.optimizer, &a.schedule, a.rngs(), a.state);
  a.train(2);  // the original keeps going ...

  TinyRun b;  // ... and a fresh run restored from the file must do exactly the same
  const nn::TrainingState state = nn::load_checkpoint(file, b.model, b.optimizer, &b.schedule, b.rngs());
  b.state = state;
  EXPECT_EQ(state.epoch, 1);
  EXPECT_EQ(state.step, 3);
  EXPECT_EQ(state.history.step_loss, (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(state.history.lr, (std::vector<double>{0.25}));
  EXPECT_EQ(b.optimizer.lr(), 0.025);
  EXPECT_EQ(b.schedule.last_epoch(), 1);
  b.train(2);
  EXPECT_EQ(values_of(a.model), values_of(b.model));
  EXPECT_EQ(a.optimizer.state_dict().at("state.0.exp_avg").to_vector(),
            b.optimizer.state_dict().at("state.0.exp_avg").to_vector());
  EXPECT_EQ(a.rng.next_u32(), b.rng.next_u32());
  EXPECT_EQ(a.optimizer.lr(), b.optimizer.lr());
}

TEST_F(CheckpointFiles, TruncatedFilesAreErrorsAndLeaveTheModelUnchanged) {
  TinyRun a;
  a.train(2);
  const std::string file = path("run.gbckpt"), cut = path("cut.gbckpt");
  nn::save_checkpoint(file, a.model, a.optimizer, &a.schedule, a.rngs(), a.state);
  const std::string bytes = bytes_of(file);
  TinyRun b;
  const auto before = values_of(b.model);
  const auto rng_before = b.rng.state().state;
  for (int k = 0; k < 8; ++k) {
    write_bytes(cut, bytes.substr(0, bytes.size() * k / 8));
    EXPECT_ERROR(nn::load_checkpoint(cut, b.model, b.optimizer, &b.schedule, b.rngs()), "checkpoint");
    EXPECT_EQ(values_of(b.model), before) << "cut at " << k << "/8";
    EXPECT_TRUE(b.optimizer.state(0).empty());
    EXPECT_EQ(b.schedule.last_epoch(), 0);
    EXPECT_EQ(b.rng.state().state, rng_before);
  }
}

TEST_F(CheckpointFiles, FlippedBitsAreErrorsAndLeaveTheModelUnchanged) {
  TinyRun a;
  a.train(2);
  const std::string file = path("run.gbckpt"), bad = path("bad.gbckpt");
  nn::save_checkpoint(file, a.model, a.optimizer, &a.schedule, a.rngs(), a.state);
  const std::string bytes = bytes_of(file);
  TinyRun b;
  const auto before = values_of(b.model);
  for (std::size_t at = 0; at < bytes.size(); at += bytes.size() / 40 + 1) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ (1 << (at % 8)));
    write_bytes(bad, flipped);
    EXPECT_ERROR(nn::load_checkpoint(bad, b.model, b.optimizer, &b.schedule, b.rngs()), "checkpoint");
    EXPECT_EQ(values_of(b.model), before) << "bit flipped at byte " << at;
    EXPECT_TRUE(b.optimizer.state(0).empty());
  }
}

TEST_F(CheckpointFiles, AnotherModelOptimizerOrScheduleIsRejectedBeforeLoading) {
  TinyRun a;
  a.train(1);
  const std::string file = path("run.gbckpt");
  nn::save_checkpoint(file, a.model, a.optimizer, &a.schedule, a.rngs(), a.state);

  Affine wider(6);
  nn::Adam adam_wider(wider.parameters(), {});
  const auto before = values_of(wider);
  EXPECT_ERROR(nn::load_checkpoint(file, wider, adam_wider, nullptr, {}), "model.bias", "f32[6]", "f32[5]");
  EXPECT_EQ(values_of(wider), before);

  Affine same(5, 3);
  const auto same_before = values_of(same);
  nn::SGD sgd(same.parameters(), {.lr = 0.1, .momentum = 0.9});
  EXPECT_ERROR(nn::load_checkpoint(file, same, sgd, nullptr, {}), "SGD.load_state_dict", "exp_avg");
  nn::Adam adam(same.parameters(), {});
  gb::Rng rng;
  EXPECT_ERROR(nn::load_checkpoint(file, same, adam, nullptr, {{"noise", &rng}}), "unexpected 'scheduler.base_lr'");
  nn::StepLR schedule(adam, 1);
  EXPECT_ERROR(nn::load_checkpoint(file, same, adam, &schedule, {}), "unexpected 'rng.noise'");
  EXPECT_ERROR(nn::load_checkpoint(file, same, adam, &schedule, {{"other", &rng}}), "an entry 'rng.other'");
  EXPECT_EQ(values_of(same), same_before);
  EXPECT_NO_THROW(nn::load_checkpoint(file, same, adam, &schedule, {{"noise", &rng}}));
  EXPECT_EQ(values_of(same), values_of(a.model));
}

TEST_F(CheckpointFiles, WritesAreAtomic) {
  TinyRun a;
  a.train(1);
  const std::string file = path("run.gbckpt");
  // A stale "<file>.tmp" left by a crash is simply replaced.
  write_bytes(file + ".tmp", "half a checkpoint");
  nn::save_checkpoint(file, a.model, a.optimizer, &a.schedule, a.rngs(), a.state);
  EXPECT_TRUE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file + ".tmp")) << "renamed, not copied";
  EXPECT_EQ(bytes_of(file), nn::encode_checkpoint(nn::decode_checkpoint(bytes_of(file))));

  // Overwriting keeps a complete file under the name at every moment: the old one, then the new one.
  const std::string old_bytes = bytes_of(file);
  a.train(1);
  nn::save_checkpoint(file, a.model, a.optimizer, &a.schedule, a.rngs(), a.state);
  EXPECT_NE(bytes_of(file), old_bytes);
  EXPECT_NO_THROW(nn::decode_checkpoint(bytes_of(file)));

  // A failed write (the name is a folder) leaves neither a file nor a .tmp behind.
  const std::string folder = path("a_folder");
  fs::create_directories(folder);
  EXPECT_ERROR(nn::save_checkpoint(folder, a.model, a.optimizer, &a.schedule, a.rngs(), a.state), "write_checkpoint", "rename");
  EXPECT_TRUE(fs::is_directory(folder));
  EXPECT_FALSE(fs::exists(folder + ".tmp"));
  EXPECT_ERROR(nn::save_checkpoint(path("no/such/folder/run.gbckpt"), a.model, a.optimizer, nullptr, {}, a.state),
               "write_checkpoint", "writable");
}

TEST_F(CheckpointFiles, MissingFileIsAnError) {
  TinyRun b;
  EXPECT_ERROR(nn::load_checkpoint(path("none.gbckpt"), b.model, b.optimizer, &b.schedule, b.rngs()), "load_checkpoint",
               "no file");
}

}  // namespace

// --- the seed of the checkpoint fuzzer ---------------------------------------------------------------------

namespace {

// tests/fuzz/corpus/checkpoint/tiny.gbckpt must stay a valid checkpoint of the harness's tiny run, or
// the fuzzer would only ever explore the rejection paths. GB_REGENERATE_FUZZ_SEED=1 rewrites it.
TEST(CheckpointFuzzSeed, IsAValidCheckpointOfTheHarnessRun) {
  const fs::path seed = fs::path(__FILE__).parent_path() / "../../fuzz/corpus/checkpoint/tiny.gbckpt";
  if (std::getenv("GB_REGENERATE_FUZZ_SEED") != nullptr) {
    gb::fuzz::TinyRun run;
    const nn::TrainingState state = run.train();
    nn::save_checkpoint(seed.string(), run.model, run.optimizer, &run.schedule, run.rngs(), state);
  }
  ASSERT_TRUE(fs::exists(seed)) << seed << " is missing: run with GB_REGENERATE_FUZZ_SEED=1";
  EXPECT_LT(fs::file_size(seed), 8192u);
  gb::fuzz::TinyRun fresh, trained;
  const nn::TrainingState expected = trained.train();
  const nn::TrainingState loaded = nn::load_checkpoint(seed.string(), fresh.model, fresh.optimizer, &fresh.schedule, fresh.rngs());
  EXPECT_EQ(loaded.step, expected.step);
  EXPECT_EQ(values_of(fresh.model), values_of(trained.model));
}

}  // namespace

namespace {

TEST_F(CheckpointFiles, InconsistentCountersAreNotWritten) {
  TinyRun a;
  a.train(2);
  a.state.history.step_loss.pop_back();
  EXPECT_ERROR(nn::save_checkpoint(path("bad.gbckpt"), a.model, a.optimizer, &a.schedule, a.rngs(), a.state),
               "save_checkpoint", "history.step_loss", "one value per step (2)", "1 values");
  a.state.batch_size = 0;
  EXPECT_ERROR(nn::save_checkpoint(path("bad.gbckpt"), a.model, a.optimizer, &a.schedule, a.rngs(), a.state),
               "batch_size >= 1");
  EXPECT_FALSE(fs::exists(path("bad.gbckpt")));
}

}  // namespace
