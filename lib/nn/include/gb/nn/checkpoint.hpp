// checkpoint.hpp: saving a training run to one file and resuming it exactly.
//
// A checkpoint is everything the rest of the run depends on: the model's state_dict (parameters and
// buffers such as BatchNorm's running statistics), the optimizer's state (momentum buffers, Adam's
// moments and step counts, the learning rate), the schedule's epoch counter, the state of every random
// number generator the model draws from (Dropout masks), the epoch and step counters and the history
// so far. Restored into a freshly built model, the run continues bit for bit as if never stopped.
//
// The file format ("GBCKPT", version 1): named tensors, little-endian, no padding.
//
//   offset  bytes        field
//   0       8            magic "GBCKPT\r\n" (the \r\n catches text-mode transfers, as PNG's does)
//   8       4  u32       version = 1
//   12      4  u32       entry count E
//   16      ...          E entries, each:
//                          u32 name length L (1..4096), L bytes of name (no NUL),
//                          u8 dtype (0 f32, 1 f64, 2 i8, 3 u8, 4 i32, 5 i64), u8 rank R (0..8),
//                          R x i64 dims (>= 0), u64 byte count (= numel x dtype size), the bytes
//   end-4   4  u32       CRC-32 (zlib's crc32, the polynomial of gzip and PNG) of every byte before it
//
// Entry names: "model.<state_dict key>", "optimizer.<key>" (Optimizer::state_dict), "scheduler.last_epoch"
// and "scheduler.base_lr", "rng.<name>" (i64 [4]: PCG32 state, increment, has_spare, the spare normal's
// bits), "train.epoch", "train.step", "train.seed", "train.batch_size" (i64 []), "history.<series>" (f64 [n]).
//
// Writing is atomic: the bytes go to "<path>.tmp" in the same folder, are flushed and fsync'ed, and the
// file is renamed over <path> (rename within a file system is atomic on POSIX), so a crash mid-write
// leaves the previous checkpoint intact, never half a file. Loading checks everything (magic, version,
// sizes, checksum, then every key, shape and dtype against the model, optimizer, schedule and
// generators) before it changes anything: a bad file throws gb::Error and leaves the model as it was.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/core/tensor.hpp"
#include "gb/nn/history.hpp"
#include "gb/nn/module.hpp"
#include "gb/nn/optim.hpp"

namespace gb::nn {

using TensorMap = std::map<std::string, Tensor>;

// --- the format: named tensors <-> bytes -----------------------------------------------------------
std::string encode_checkpoint(const TensorMap& entries);  // throws for an empty or too long name
// Throws gb::Error("read_checkpoint", ...) for anything but a well-formed file of version 1.
TensorMap decode_checkpoint(const std::string& bytes);

// Writes `bytes` to path through "<path>.tmp", fsync and rename (see above). Throws gb::Error.
void write_file_atomically(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path, const std::string& op);  // throws gb::Error if unreadable

// --- a training run's checkpoint -------------------------------------------------------------------
// The counters and curves of a run; the model, optimizer, schedule and generators are passed beside it.
struct TrainingState {
  std::int64_t epoch = 0;       // epochs completed
  std::int64_t step = 0;        // optimizer steps completed
  std::uint64_t seed = 0;       // the run's seed (data order, initial weights)
  std::int64_t batch_size = 0;  // resuming with another batch size would change the run
  History history;
};

// The random number generators a run draws from, by name (e.g. "model.3" for a Dropout layer).
using RngList = std::vector<std::pair<std::string, Rng*>>;

void save_checkpoint(const std::string& path, const Module& model, const Optimizer& optimizer,
                     const LRScheduler* scheduler, const RngList& rngs, const TrainingState& state);
// Reads and checks the whole file, then restores model, optimizer, scheduler (may be null: then the
// file must have none) and generators, and returns the counters and history. All or nothing.
TrainingState load_checkpoint(const std::string& path, Module& model, Optimizer& optimizer, LRScheduler* scheduler,
                              const RngList& rngs);
// The second half of load_checkpoint, on entries already decoded: check every entry, then restore.
TrainingState restore_checkpoint(const TensorMap& entries, Module& model, Optimizer& optimizer, LRScheduler* scheduler,
                                 const RngList& rngs);

}  // namespace gb::nn
