// data.cpp: reading digits.csv.gz with zlib, the stratified split and the seeded batch loader (data.hpp).
#include "gb/nn/data.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"

namespace gb::nn {

namespace {

constexpr std::int64_t kPixels = 64, kClasses = 10;
constexpr double kMaxCount = 16;  // each pixel counts the "on" bits of a 4 x 4 block
// PCG32 streams of the seed: the split and each epoch's shuffle draw from sequences of their own,
// apart from the default stream (54) that models draw their initial weights from.
constexpr std::uint64_t kSplitStream = 1, kFirstEpochStream = 1000;

// The whole decompressed file. gzread also reads an uncompressed file as is, which is fine.
std::string read_gzip(const std::string& path) {
  const std::string op = "load_digits";
  if (!std::filesystem::exists(path))
    throw Error(op, "the digits file of scikit-learn (install the Debian package python3-sklearn)",
                "no file at " + path);
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose_r);
  if (!file) throw Error(op, "a readable gzip file", "one that cannot be opened: " + path);
  std::string text;
  char chunk[1 << 16];
  for (;;) {
    const int n = gzread(file.get(), chunk, sizeof chunk);
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      throw Error(op, "valid gzip data in " + path, std::string("a corrupt file (zlib: ") + message + ")");
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
    if (text.size() > (64u << 20)) throw Error(op, "a file of a few hundred KiB", "more than 64 MiB of text");
  }
  return text;
}

// One number of a CSV line, which must be an integer in [low, high].
std::int64_t parse_count(const std::string& field, double low, double high, std::int64_t line, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(field.c_str(), &end);
  const bool whole = !field.empty() && end == field.c_str() + field.size();
  if (!whole || !std::isfinite(v) || v != std::floor(v) || v < low || v > high)
    throw Error("load_digits", std::string(what) + " (an integer " + std::to_string(static_cast<int>(low)) + ".." +
                                   std::to_string(static_cast<int>(high)) + ") on line " + std::to_string(line),
                "'" + field.substr(0, 32) + "'");
  return static_cast<std::int64_t>(v);
}

}  // namespace

std::string default_digits_path() { return "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"; }

Dataset load_digits(const std::string& path, std::int64_t expected_rows) {
  const std::string text = read_gzip(path);
  std::vector<float> pixels;
  std::vector<std::int64_t> labels;
  std::int64_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    // 64 pixel counts then the label, comma separated.
    std::int64_t column = 0;
    std::size_t at = 0;
    for (;;) {
      const std::size_t comma = line.find(',', at);
      const std::string field = line.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      if (column < kPixels) {
        pixels.push_back(static_cast<float>(parse_count(field, 0, kMaxCount, line_number, "a pixel count")) /
                         static_cast<float>(kMaxCount));
      } else if (column == kPixels) {
        labels.push_back(parse_count(field, 0, kClasses - 1, line_number, "a label"));
      }
      ++column;
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    if (column != kPixels + 1)
      throw Error("load_digits", "65 numbers per line (64 pixels and a label)",
                  std::to_string(column) + " on line " + std::to_string(line_number));
  }
  const auto rows = static_cast<std::int64_t>(labels.size());
  if (rows == 0 || (expected_rows > 0 && rows != expected_rows))
    throw Error("load_digits", (expected_rows > 0 ? std::to_string(expected_rows) : std::string("some")) + " images in " + path,
                std::to_string(rows) + " (a truncated or corrupt file)");
  Dataset d;
  d.images = Tensor::empty({rows, 1, 8, 8}, DType::f32);
  std::copy(pixels.begin(), pixels.end(), d.images.data<float>());
  d.labels = Tensor::empty({rows}, DType::i64);
  std::copy(labels.begin(), labels.end(), d.labels.data<std::int64_t>());
  return d;
}

Tensor Dataset::flat_images() const { return images.reshape({size(), kPixels}); }

Dataset Dataset::subset(const std::vector<std::int64_t>& indices) const {
  const std::int64_t n = size();
  const std::int64_t per_image = n > 0 ? images.numel() / n : 0;
  Dataset out;
  Shape shape = images.shape();
  shape.at(0) = static_cast<std::int64_t>(indices.size());
  out.images = Tensor::empty(shape, DType::f32);
  out.labels = Tensor::empty({static_cast<std::int64_t>(indices.size())}, DType::i64);
  const Tensor src = images.contiguous(), src_labels = labels.contiguous();
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const std::int64_t i = indices[k];
    if (i < 0 || i >= n) throw Error("Dataset.subset", "indices in [0, " + std::to_string(n) + ")", std::to_string(i));
    std::copy_n(src.data<float>() + i * per_image, per_image, out.images.data<float>() + static_cast<std::int64_t>(k) * per_image);
    out.labels.data<std::int64_t>()[k] = src_labels.data<std::int64_t>()[i];
  }
  return out;
}

std::vector<std::int64_t> Dataset::class_counts(std::int64_t classes) const {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(classes), 0);
  const Tensor l = labels.contiguous();
  for (std::int64_t i = 0; i < size(); ++i) {
    const std::int64_t c = l.data<std::int64_t>()[i];
    if (c >= 0 && c < classes) ++counts[static_cast<std::size_t>(c)];
  }
  return counts;
}

// --- the split --------------------------------------------------------------------------------------

namespace {

// Fisher-Yates: for i = n-1 down to 1, swap element i with a uniformly drawn j in [0, i].
void shuffle(std::vector<std::int64_t>& v, Rng& rng) {
  for (std::int64_t i = static_cast<std::int64_t>(v.size()) - 1; i > 0; --i)
    std::swap(v[static_cast<std::size_t>(i)], v[static_cast<std::size_t>(rng.randint(0, i + 1))]);
}

}  // namespace

Split train_test_split(const Dataset& data, double test_fraction, std::uint64_t seed) {
  if (!(test_fraction > 0 && test_fraction < 1))
    throw Error("train_test_split", "a test fraction in (0, 1)", std::to_string(test_fraction));
  const Tensor labels = data.labels.contiguous();
  std::int64_t classes = 0;
  for (std::int64_t i = 0; i < data.size(); ++i) classes = std::max(classes, labels.data<std::int64_t>()[i] + 1);
  std::vector<std::vector<std::int64_t>> by_class(static_cast<std::size_t>(classes));
  for (std::int64_t i = 0; i < data.size(); ++i)
    by_class[static_cast<std::size_t>(labels.data<std::int64_t>()[i])].push_back(i);
  Rng rng(seed, kSplitStream);
  std::vector<bool> is_test(static_cast<std::size_t>(data.size()), false);
  for (auto& members : by_class) {
    shuffle(members, rng);
    const auto take = static_cast<std::size_t>(std::llround(test_fraction * static_cast<double>(members.size())));
    for (std::size_t k = 0; k < take; ++k) is_test[static_cast<std::size_t>(members[k])] = true;
  }
  std::vector<std::int64_t> train, test;
  for (std::int64_t i = 0; i < data.size(); ++i) (is_test[static_cast<std::size_t>(i)] ? test : train).push_back(i);
  if (train.empty() || test.empty())
    throw Error("train_test_split", "enough examples for both sets", std::to_string(data.size()) + " examples");
  return {data.subset(train), data.subset(test)};
}

// --- the loader ------------------------------------------------------------------------------------

DataLoader::DataLoader(Dataset data, std::int64_t batch_size, bool shuffle, std::uint64_t seed)
    : data_(std::move(data)), batch_size_(batch_size), shuffle_(shuffle), seed_(seed) {
  if (batch_size < 1) throw Error("DataLoader", "a batch size >= 1", std::to_string(batch_size));
  if (data_.size() == 0) throw Error("DataLoader", "a non-empty data set", "0 examples");
}

std::int64_t DataLoader::batches_per_epoch() const { return (data_.size() + batch_size_ - 1) / batch_size_; }

std::vector<std::int64_t> DataLoader::epoch_order(std::int64_t epoch) const {
  if (epoch < 0) throw Error("DataLoader.epoch_order", "an epoch >= 0", std::to_string(epoch));
  std::vector<std::int64_t> order(static_cast<std::size_t>(data_.size()));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
  if (shuffle_) {
    Rng rng(seed_, kFirstEpochStream + static_cast<std::uint64_t>(epoch));  // one PCG32 stream per epoch
    shuffle(order, rng);
  }
  return order;
}

Batch DataLoader::batch(const std::vector<std::int64_t>& order, std::int64_t i) const {
  if (static_cast<std::int64_t>(order.size()) != data_.size())
    throw Error("DataLoader.batch", "an order of " + std::to_string(data_.size()) + " indices",
                std::to_string(order.size()));
  if (i < 0 || i >= batches_per_epoch())
    throw Error("DataLoader.batch", "a batch index in [0, " + std::to_string(batches_per_epoch()) + ")", std::to_string(i));
  const std::int64_t begin = i * batch_size_, end = std::min(begin + batch_size_, data_.size());
  const Dataset d = data_.subset({order.begin() + begin, order.begin() + end});
  return {d.images, d.labels};
}

}  // namespace gb::nn
