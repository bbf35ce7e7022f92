// data.hpp: the UCI handwritten digits (the copy scikit-learn ships), a seeded train/test split and
// a batch loader whose shuffle is a function of (seed, epoch).
//
// The data set: 1797 images of 8 x 8 pixels, each pixel a count 0..16 (the number of "on" pixels of
// a 4 x 4 block of the original 32 x 32 bitmap), labelled 0..9 (Alpaydin & Kaynak, UCI "Optical
// Recognition of Handwritten Digits"). python3-sklearn ships it as digits.csv.gz: one line per image,
// 64 pixel values then the label, comma separated.
//
// Reproducibility is the point of every choice here: the split and each epoch's order depend only on
// the seed (and the epoch number), never on the machine or on what ran before, so a run resumed at
// epoch e from a checkpoint sees exactly the batches the uninterrupted run saw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::nn {

struct Dataset {
  Tensor images;  // f32 [N, 1, 8, 8], pixel counts scaled to [0, 1] (divided by 16)
  Tensor labels;  // i64 [N], 0..9

  std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  // The images as rows of 64 features, [N, 64]: a view (no copy), for a multi-layer perceptron.
  Tensor flat_images() const;
  // The examples at `indices`, in that order (a copy). Throws gb::Error for an index out of range.
  Dataset subset(const std::vector<std::int64_t>& indices) const;
  // How many examples of each class 0..classes-1.
  std::vector<std::int64_t> class_counts(std::int64_t classes = 10) const;
};

// Where python3-sklearn puts the file on Debian.
std::string default_digits_path();

// Reads digits.csv.gz (gzip through zlib). Throws gb::Error naming the package python3-sklearn when
// the file is missing, and for a corrupt file: bad gzip data, a line without 65 numbers, a pixel
// outside 0..16, a label outside 0..9, or fewer than `expected_rows` lines (1797 for the real file;
// pass 0 to accept any non-zero count, e.g. for a small test file).
Dataset load_digits(const std::string& path = default_digits_path(), std::int64_t expected_rows = 1797);

// A stratified split: for each class c, its examples are shuffled with Rng(seed, stream 1) and
// round(test_fraction * count_c) of them go to the test set, so both sets keep the class balance
// of the whole (1797 digits, fraction 0.2: 1438 train, 359 test). Within each set the examples keep
// their order in the file. Throws gb::Error for a fraction outside (0, 1).
struct Split {
  Dataset train, test;
};
Split train_test_split(const Dataset& data, double test_fraction = 0.2, std::uint64_t seed = 0);

// One mini-batch.
struct Batch {
  Tensor images;  // f32 [B, 1, 8, 8]
  Tensor labels;  // i64 [B]
};

// Cuts a data set into batches of batch_size (the last one smaller when batch_size does not divide N).
// With shuffle, epoch e visits the examples in the order of a Fisher-Yates shuffle drawn from
// Rng(seed, stream = 1000 + e): it depends on nothing but the seed and e.
class DataLoader {
 public:
  DataLoader(Dataset data, std::int64_t batch_size, bool shuffle = true, std::uint64_t seed = 0);
  std::int64_t batches_per_epoch() const;
  std::int64_t batch_size() const { return batch_size_; }
  const Dataset& dataset() const { return data_; }
  // The order in which epoch `epoch` (0, 1, ...) visits the examples: a permutation of 0..N-1.
  std::vector<std::int64_t> epoch_order(std::int64_t epoch) const;
  // Batch i (0 <= i < batches_per_epoch()) of a given epoch order.
  Batch batch(const std::vector<std::int64_t>& order, std::int64_t i) const;

 private:
  Dataset data_;
  std::int64_t batch_size_;
  bool shuffle_;
  std::uint64_t seed_;
};

}  // namespace gb::nn
