// data_test.cpp: reading the digits, the stratified split and the seeded batch order.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "gb/nn/data.hpp"
#include "test_helpers.hpp"

namespace {

namespace nn = gb::nn;
namespace fs = std::filesystem;

const nn::Dataset& digits() {
  static const nn::Dataset d = nn::load_digits();
  return d;
}

// A scratch file under the test's temporary folder.
// A scratch file in the temporary folder, named after this process (builds may run tests side by side).
std::string scratch(const std::string& name) {
  return (fs::temp_directory_path() / ("gb_data_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

void write_gzip(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
}

std::string csv_line(int pixel, int label) {
  std::string line;
  for (int i = 0; i < 64; ++i) line += std::to_string(pixel) + ",";
  return line + std::to_string(label) + "\n";
}

TEST(DigitsData, LoadsAllImagesScaledToZeroOne) {
  const nn::Dataset& d = digits();
  ASSERT_EQ(d.size(), 1797);
  EXPECT_EQ(d.images.shape(), (gb::Shape{1797, 1, 8, 8}));
  EXPECT_EQ(d.images.dtype(), gb::DType::f32);
  EXPECT_EQ(d.labels.dtype(), gb::DType::i64);
  // The first line of digits.csv.gz: 0,0,5,13,9,1,0,0, ... label 0.
  EXPECT_EQ(d.images.at({0, 0, 0, 2}), 5.0 / 16);
  EXPECT_EQ(d.images.at({0, 0, 0, 3}), 13.0 / 16);
  EXPECT_EQ(d.labels.at({0}), 0);
  const std::vector<double> pixels = d.images.to_vector();
  EXPECT_EQ(*std::min_element(pixels.begin(), pixels.end()), 0.0);
  EXPECT_EQ(*std::max_element(pixels.begin(), pixels.end()), 1.0);
  const std::vector<std::int64_t> counts = d.class_counts();
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}), 1797);
  for (std::int64_t c : counts) EXPECT_GE(c, 170) << "about 180 images of each digit";
}

TEST(DigitsData, FlatImagesAreAViewOfSixtyFourFeatures) {
  const gb::Tensor flat = digits().flat_images();
  EXPECT_EQ(flat.shape(), (gb::Shape{1797, 64}));
  EXPECT_TRUE(flat.shares_storage_with(digits().images));
  EXPECT_EQ(flat.at({0, 3}), digits().images.at({0, 0, 0, 3}));
}

TEST(DigitsData, MissingFileNamesThePackage) {
  EXPECT_ERROR(nn::load_digits("/nonexistent/digits.csv.gz"), "load_digits", "python3-sklearn", "/nonexistent");
}

TEST(DigitsData, CorruptFilesAreErrors) {
  // A gzip stream cut in half.
  std::ifstream real(nn::default_digits_path(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(real)), std::istreambuf_iterator<char>());
  const std::string cut = scratch("cut.csv.gz");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_ERROR(nn::load_digits(cut), "load_digits");
  // Well-formed gzip, bad contents.
  const std::string bad = scratch("bad.csv.gz");
  write_gzip(bad, csv_line(3, 1) + "1,2,3\n");
  EXPECT_ERROR(nn::load_digits(bad, 0), "65 numbers", "line 2");
  write_gzip(bad, csv_line(17, 1));
  EXPECT_ERROR(nn::load_digits(bad, 0), "a pixel count", "0..16", "'17'");
  write_gzip(bad, csv_line(3, 10));
  EXPECT_ERROR(nn::load_digits(bad, 0), "a label", "'10'");
  write_gzip(bad, csv_line(3, 1) + csv_line(4, 2));
  EXPECT_ERROR(nn::load_digits(bad), "1797 images", "2");
  write_gzip(bad, "");
  EXPECT_ERROR(nn::load_digits(bad, 0), "some images");
  // A small valid file, when any row count is accepted.
  write_gzip(bad, csv_line(16, 9) + csv_line(0, 0));
  const nn::Dataset two = nn::load_digits(bad, 0);
  EXPECT_EQ(two.size(), 2);
  EXPECT_EQ(two.images.at({0, 0, 7, 7}), 1.0);
  EXPECT_EQ(two.labels.at({0}), 9);
  fs::remove(cut);
  fs::remove(bad);
}

TEST(DigitsSplit, StratifiedSizesAndDisjointSets) {
  const nn::Split s = nn::train_test_split(digits(), 0.2, 0);
  EXPECT_EQ(s.train.size() + s.test.size(), 1797);
  const auto all = digits().class_counts(), train = s.train.class_counts(), test = s.test.class_counts();
  for (std::size_t c = 0; c < 10; ++c) {
    EXPECT_EQ(test[c], std::llround(0.2 * static_cast<double>(all[c]))) << "class " << c;
    EXPECT_EQ(train[c] + test[c], all[c]);
  }
  EXPECT_EQ(s.test.size(), 359);
  // Disjoint: every image of the file is in exactly one set (images are compared as whole rows).
  std::multiset<std::vector<double>> rows, split_rows;
  const gb::Tensor flat = digits().flat_images();
  for (std::int64_t i = 0; i < 1797; ++i) rows.insert(flat.select(0, i).to_vector());
  for (const nn::Dataset* d : {&s.train, &s.test})
    for (std::int64_t i = 0; i < d->size(); ++i) split_rows.insert(d->flat_images().select(0, i).to_vector());
  EXPECT_EQ(rows, split_rows);
}

TEST(DigitsSplit, SameSeedSameSplitOtherSeedOtherSplit) {
  const nn::Split a = nn::train_test_split(digits(), 0.2, 3), b = nn::train_test_split(digits(), 0.2, 3);
  const nn::Split c = nn::train_test_split(digits(), 0.2, 4);
  EXPECT_EQ(a.test.labels.to_vector(), b.test.labels.to_vector());
  EXPECT_EQ(a.test.images.to_vector(), b.test.images.to_vector());
  EXPECT_NE(a.test.images.to_vector(), c.test.images.to_vector());
  EXPECT_ERROR(nn::train_test_split(digits(), 1.0), "fraction in (0, 1)");
  EXPECT_ERROR(nn::train_test_split(digits(), 0.0), "fraction in (0, 1)");
}

TEST(DigitsLoader, EachEpochIsAPermutationThatDependsOnlyOnSeedAndEpoch) {
  const nn::Dataset small = digits().subset({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19});
  const nn::DataLoader a(small, 6, true, 11), b(small, 6, true, 11), other(small, 6, true, 12);
  const auto late = b.epoch_order(5);  // asked first: the order must not depend on what ran before
  const auto e0 = a.epoch_order(0), e5 = a.epoch_order(5);
  EXPECT_EQ(e5, late);
  EXPECT_NE(e0, e5);
  EXPECT_NE(e0, other.epoch_order(0));
  std::vector<std::int64_t> sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(20);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_EQ(nn::DataLoader(small, 6, false).epoch_order(3), identity);
}

TEST(DigitsLoader, BatchesCoverTheEpochWithASmallerLastBatch) {
  const nn::Dataset small = digits().subset({10, 11, 12, 13, 14, 15, 16});
  const nn::DataLoader loader(small, 3, true, 1);
  ASSERT_EQ(loader.batches_per_epoch(), 3);
  const auto order = loader.epoch_order(0);
  std::vector<double> labels;
  for (std::int64_t i = 0; i < 3; ++i) {
    const nn::Batch b = loader.batch(order, i);
    EXPECT_EQ(b.images.shape(), (gb::Shape{i < 2 ? 3 : 1, 1, 8, 8}));
    for (double l : b.labels.to_vector()) labels.push_back(l);
  }
  for (std::size_t k = 0; k < order.size(); ++k) EXPECT_EQ(labels[k], small.labels.at({order[k]}));
  EXPECT_ERROR(loader.batch(order, 3), "batch index");
  EXPECT_ERROR(nn::DataLoader(small, 0), "batch size");
  EXPECT_ERROR(small.subset({7}), "indices in [0, 7)");
}

}  // namespace
