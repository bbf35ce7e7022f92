// checkpoint.cpp: the GBCKPT file format, atomic writing, and a training run's checkpoint (checkpoint.hpp).
#include "gb/nn/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "gb/core/dtype.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"

namespace gb::nn {

static_assert(std::endian::native == std::endian::little, "the checkpoint format stores tensors little-endian");

namespace {

constexpr char kMagic[8] = {'G', 'B', 'C', 'K', 'P', 'T', '\r', '\n'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kMaxName = 4096, kMaxRank = 8;

std::uint32_t crc32_of(const char* data, std::size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {  // zlib takes uInt lengths: feed it in pieces
    const auto piece = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), piece);
    data += piece;
    n -= piece;
  }
  return static_cast<std::uint32_t>(crc);
}

// --- writing -------------------------------------------------------------------------------------------
template <class T> void put(std::string& out, T value) { out.append(reinterpret_cast<const char*>(&value), sizeof value); }

// --- reading: a cursor that never reads past the end ---------------------------------------------------
class Reader {
 public:
  Reader(const std::string& bytes, std::size_t end) : bytes_(bytes), end_(end) {}
  template <class T> T get(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof value, what), sizeof value);
    return value;
  }
  const char* take(std::size_t n, const char* what) {
    if (n > end_ - at_)
      throw Error("read_checkpoint", std::string(what) + " (" + std::to_string(n) + " bytes at offset " + std::to_string(at_) + ")",
                  "only " + std::to_string(end_ - at_) + " bytes left: a truncated or corrupt file");
    const char* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }
  std::size_t at() const { return at_; }
  std::size_t left() const { return end_ - at_; }
  void seek(std::size_t at) { at_ = at; }

 private:
  const std::string& bytes_;
  std::size_t end_, at_ = 0;
};

[[noreturn]] void corrupt(const std::string& expected, const std::string& given) {
  throw Error("read_checkpoint", expected, given);
}

std::string type_of(const Tensor& t) { return std::string(dtype_name(t.dtype())) + shape_str(t.shape()); }

}  // namespace

std::string encode_checkpoint(const TensorMap& entries) {
  std::string out(kMagic, sizeof kMagic);
  put<std::uint32_t>(out, kVersion);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(entries.size()));
  for (const auto& [name, t] : entries) {
    if (name.empty() || name.size() > kMaxName)
      throw Error("write_checkpoint", "entry names of 1.." + std::to_string(kMaxName) + " bytes", "'" + name.substr(0, 64) + "'");
    if (!t.defined()) throw Error("write_checkpoint", "defined tensors", "an undefined '" + name + "'");
    if (t.ndim() > kMaxRank) throw Error("write_checkpoint", "rank <= 8", type_of(t) + " for '" + name + "'");
    put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
    out += name;
    put<std::uint8_t>(out, static_cast<std::uint8_t>(t.dtype()));
    put<std::uint8_t>(out, static_cast<std::uint8_t>(t.ndim()));
    for (std::int64_t d : t.shape()) put<std::int64_t>(out, d);
    const Tensor c = t.contiguous();
    const std::size_t nbytes = static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype());
    put<std::uint64_t>(out, nbytes);
    out.append(static_cast<const char*>(c.raw_data()), nbytes);
  }
  put<std::uint32_t>(out, crc32_of(out.data(), out.size()));
  return out;
}

TensorMap decode_checkpoint(const std::string& bytes) {
  const std::size_t header = sizeof kMagic + 8, trailer = 4;
  if (bytes.size() < header + trailer)
    corrupt("a checkpoint of at least " + std::to_string(header + trailer) + " bytes", std::to_string(bytes.size()) + " bytes");
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) corrupt("the magic bytes \"GBCKPT\\r\\n\"", "other bytes");
  // The checksum first: a flipped bit anywhere is reported as such, before any field is trusted.
  const std::size_t body = bytes.size() - trailer;
  std::uint32_t stored;
  std::memcpy(&stored, bytes.data() + body, sizeof stored);
  if (stored != crc32_of(bytes.data(), body)) corrupt("a matching CRC-32 checksum", "a mismatch: the file is corrupt or truncated");
  Reader in(bytes, body);
  in.seek(sizeof kMagic);
  const auto version = in.get<std::uint32_t>("the version");
  if (version != kVersion) corrupt("version " + std::to_string(kVersion), "version " + std::to_string(version));
  const auto count = in.get<std::uint32_t>("the entry count");
  TensorMap entries;
  for (std::uint32_t e = 0; e < count; ++e) {
    const auto name_size = in.get<std::uint32_t>("a name length");
    if (name_size == 0 || name_size > kMaxName)
      corrupt("a name of 1.." + std::to_string(kMaxName) + " bytes", std::to_string(name_size) + " bytes in entry " + std::to_string(e));
    std::string name(in.take(name_size, "a name"), name_size);
    const auto dtype_code = in.get<std::uint8_t>("a dtype");
    if (dtype_code > static_cast<std::uint8_t>(DType::i64))
      corrupt("a dtype code 0..5", std::to_string(dtype_code) + " for '" + name + "'");
    const auto dtype = static_cast<DType>(dtype_code);
    const auto rank = in.get<std::uint8_t>("a rank");
    if (rank > kMaxRank) corrupt("rank <= 8", std::to_string(rank) + " for '" + name + "'");
    // The dims, their product (numel) and the product of the non-zero ones, both kept <= 2^40 so that
    // no size or stride computed from them can overflow.
    constexpr std::uint64_t kLimit = std::uint64_t{1} << 40;
    Shape shape;
    std::uint64_t numel = 1, extent = 1;
    for (std::uint8_t d = 0; d < rank; ++d) {
      const auto dim = in.get<std::int64_t>("a dimension");
      if (dim < 0) corrupt("dimensions >= 0", std::to_string(dim) + " for '" + name + "'");
      const auto u = static_cast<std::uint64_t>(dim);
      if (u > 0 && extent > kLimit / u) corrupt("a tensor of at most 2^40 elements", "a larger shape for '" + name + "'");
      extent *= std::max<std::uint64_t>(u, 1);
      numel *= u;
      shape.push_back(dim);
    }
    const auto nbytes = in.get<std::uint64_t>("a byte count");
    if (nbytes != numel * dtype_size(dtype))
      corrupt(std::to_string(numel * dtype_size(dtype)) + " bytes for '" + name + "' (" + dtype_name(dtype) + shape_str(shape) + ")",
              std::to_string(nbytes));
    if (nbytes > in.left()) corrupt(std::to_string(nbytes) + " bytes of data for '" + name + "'", std::to_string(in.left()) + " left");
    const char* data = in.take(static_cast<std::size_t>(nbytes), "tensor data");
    Tensor t = Tensor::empty(shape, dtype);
    if (nbytes > 0) std::memcpy(t.raw_data(), data, static_cast<std::size_t>(nbytes));
    if (!entries.emplace(std::move(name), std::move(t)).second) corrupt("unique entry names", "a repeated name");
  }
  if (in.left() != 0) corrupt("the checksum right after entry " + std::to_string(count), std::to_string(in.left()) + " extra bytes");
  return entries;
}

// --- files -----------------------------------------------------------------------------------------------

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string op = "write_checkpoint", tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(op, "a writable file " + tmp, std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      std::remove(tmp.c_str());
      throw Error(op, "to write " + std::to_string(bytes.size()) + " bytes to " + tmp, why);
    }
    done += static_cast<std::size_t>(n);
  }
  // fsync before rename: otherwise a crash could leave the new name pointing at unwritten blocks.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error(op, "to flush " + tmp + " to disk", why);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error(op, "to rename " + tmp + " to " + path, why);
  }
  // And the folder, so the rename itself survives a crash.
  std::string folder = std::filesystem::path(path).parent_path().string();
  const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

std::string read_file(const std::string& path, const std::string& op) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(op, "a readable file", "no file at " + path);
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) throw Error(op, "a readable file", "a read error in " + path);
  return s.str();
}

// --- a training run's checkpoint --------------------------------------------------------------------------

namespace {

// The curves of a History, by the name of their entry; step_loss has one value per step, the rest one per epoch.
struct HistorySeries {
  const char* name;
  std::vector<double> History::*values;
  bool per_step;
};
const HistorySeries kHistorySeries[] = {
    {"train_loss", &History::train_loss, false}, {"train_accuracy", &History::train_accuracy, false},
    {"test_loss", &History::test_loss, false},   {"test_accuracy", &History::test_accuracy, false},
    {"lr", &History::lr, false},                 {"seconds", &History::seconds, false},
    {"step_loss", &History::step_loss, true},
};

Tensor i64_scalar(std::int64_t v) {
  Tensor t = Tensor::empty({}, DType::i64);
  *t.data<std::int64_t>() = v;
  return t;
}

// The entries of one prefix ("model.") with the prefix removed.
TensorMap with_prefix(const TensorMap& all, const std::string& prefix) {
  TensorMap out;
  for (const auto& [name, t] : all)
    if (name.rfind(prefix, 0) == 0) out[name.substr(prefix.size())] = t;
  return out;
}

const Tensor& need(const TensorMap& all, const std::string& name, DType dtype, const Shape& shape) {
  auto it = all.find(name);
  if (it == all.end()) throw Error("load_checkpoint", "an entry '" + name + "'", "none");
  if (it->second.dtype() != dtype || it->second.shape() != shape)
    throw Error("load_checkpoint", "'" + name + "' as " + dtype_name(dtype) + shape_str(shape), type_of(it->second));
  return it->second;
}

std::int64_t need_count(const TensorMap& all, const std::string& name, std::int64_t low) {
  const std::int64_t v = *need(all, name, DType::i64, {}).data<std::int64_t>();
  if (v < low) throw Error("load_checkpoint", "'" + name + "' >= " + std::to_string(low), std::to_string(v));
  return v;
}

}  // namespace

void save_checkpoint(const std::string& path, const Module& model, const Optimizer& optimizer,
                     const LRScheduler* scheduler, const RngList& rngs, const TrainingState& state) {
  // Only what load_checkpoint would accept: consistent counters and curves.
  if (state.epoch < 0 || state.step < 0 || state.batch_size < 1)
    throw Error("save_checkpoint", "epoch >= 0, step >= 0 and batch_size >= 1",
                std::to_string(state.epoch) + ", " + std::to_string(state.step) + " and " + std::to_string(state.batch_size));
  for (const HistorySeries& s : kHistorySeries) {
    const std::size_t n = static_cast<std::size_t>(s.per_step ? state.step : state.epoch);
    if ((state.history.*s.values).size() != n)
      throw Error("save_checkpoint", std::string("history.") + s.name + " with one value per " + (s.per_step ? "step (" : "epoch (") +
                                         std::to_string(n) + ")",
                  std::to_string((state.history.*s.values).size()) + " values");
  }
  TensorMap entries;
  for (const auto& [key, t] : model.state_dict()) entries["model." + key] = t;
  for (const auto& [key, t] : optimizer.state_dict()) entries["optimizer." + key] = t;
  if (scheduler != nullptr) {
    entries["scheduler.last_epoch"] = i64_scalar(scheduler->state().last_epoch);
    entries["scheduler.base_lr"] = Tensor::scalar(scheduler->state().base_lr, DType::f64);
  }
  for (const auto& [name, rng] : rngs) {
    // Written element by element: Tensor::from_vector goes through doubles, which would round 64-bit states.
    const Rng::State s = rng->state();
    Tensor t = Tensor::empty({4}, DType::i64);
    std::int64_t* v = t.data<std::int64_t>();
    v[0] = std::bit_cast<std::int64_t>(s.state);
    v[1] = std::bit_cast<std::int64_t>(s.inc);
    v[2] = s.has_spare ? 1 : 0;
    v[3] = std::bit_cast<std::int64_t>(s.spare);
    entries["rng." + name] = t;
  }
  entries["train.epoch"] = i64_scalar(state.epoch);
  entries["train.step"] = i64_scalar(state.step);
  entries["train.seed"] = i64_scalar(std::bit_cast<std::int64_t>(state.seed));
  entries["train.batch_size"] = i64_scalar(state.batch_size);
  for (const HistorySeries& s : kHistorySeries) {
    const std::vector<double>& v = state.history.*s.values;
    entries[std::string("history.") + s.name] = Tensor::from_vector<double>(v, {static_cast<std::int64_t>(v.size())});
  }
  write_file_atomically(path, encode_checkpoint(entries));
}

TrainingState load_checkpoint(const std::string& path, Module& model, Optimizer& optimizer, LRScheduler* scheduler,
                              const RngList& rngs) {
  return restore_checkpoint(decode_checkpoint(read_file(path, "load_checkpoint")), model, optimizer, scheduler, rngs);
}

TrainingState restore_checkpoint(const TensorMap& all, Module& model, Optimizer& optimizer, LRScheduler* scheduler,
                                 const RngList& rngs) {
  const std::string op = "load_checkpoint";

  // 1. Check every entry against what it will be loaded into. Nothing is changed yet.
  std::set<std::string> known;
  const TensorMap model_state = with_prefix(all, "model.");
  for (const auto& [key, own] : model.state_dict()) {
    auto it = model_state.find(key);
    if (it == model_state.end()) throw Error(op, "the model's entry 'model." + key + "'", "none (a checkpoint of another model?)");
    if (it->second.dtype() != own.dtype() || it->second.shape() != own.shape())
      throw Error(op, "'model." + key + "' as " + type_of(own), type_of(it->second));
    known.insert("model." + key);
  }
  const TensorMap optimizer_state = with_prefix(all, "optimizer.");
  optimizer.check_state_dict(optimizer_state);
  for (const auto& [key, t] : optimizer_state) known.insert("optimizer." + key);
  LRScheduler::State schedule;
  if (scheduler != nullptr) {
    schedule.last_epoch = need_count(all, "scheduler.last_epoch", 0);
    schedule.base_lr = need(all, "scheduler.base_lr", DType::f64, {}).item();
    if (!(schedule.base_lr >= 0) || !std::isfinite(schedule.base_lr))
      throw Error(op, "'scheduler.base_lr' >= 0", std::to_string(schedule.base_lr));
    known.insert({"scheduler.last_epoch", "scheduler.base_lr"});
  }
  std::vector<Rng::State> rng_states;
  for (const auto& [name, rng] : rngs) {
    const Tensor& t = need(all, "rng." + name, DType::i64, {4});
    const std::int64_t* v = t.data<std::int64_t>();
    Rng::State s{std::bit_cast<std::uint64_t>(v[0]), std::bit_cast<std::uint64_t>(v[1]), v[2] == 1,
                 std::bit_cast<double>(v[3])};
    if ((s.inc & 1) == 0 || (v[2] != 0 && v[2] != 1))
      throw Error(op, "'rng." + name + "' with an odd increment and has_spare 0 or 1", "other values");
    rng_states.push_back(s);
    known.insert("rng." + name);
  }
  TrainingState state;
  state.epoch = need_count(all, "train.epoch", 0);
  state.step = need_count(all, "train.step", 0);
  state.seed = std::bit_cast<std::uint64_t>(*need(all, "train.seed", DType::i64, {}).data<std::int64_t>());
  state.batch_size = need_count(all, "train.batch_size", 1);
  known.insert({"train.epoch", "train.step", "train.seed", "train.batch_size"});
  for (const HistorySeries& s : kHistorySeries) {
    const std::string key = std::string("history.") + s.name;
    const std::int64_t n = s.per_step ? state.step : state.epoch;
    const Tensor& t = need(all, key, DType::f64, {n});
    (state.history.*s.values).assign(t.data<double>(), t.data<double>() + n);
    known.insert(key);
  }
  for (const auto& [name, t] : all)
    if (!known.count(name)) throw Error(op, "only entries of this model, optimizer and schedule", "unexpected '" + name + "'");

  // 2. Everything fits: load it. None of these can fail now.
  model.load_state_dict(model_state);
  optimizer.load_state_dict(optimizer_state);
  if (scheduler != nullptr) scheduler->set_state(schedule);
  for (std::size_t i = 0; i < rngs.size(); ++i) rngs[i].second->set_state(rng_states[i]);
  return state;
}

}  // namespace gb::nn
