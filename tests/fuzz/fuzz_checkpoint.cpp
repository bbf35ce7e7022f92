// fuzz_checkpoint.cpp: libFuzzer harness for the checkpoint format and loader (gb::nn, lesson 01).
//
// Property: any byte string is either rejected with gb::Error, leaving the model, optimizer, schedule
// and generator exactly as they were, or decodes to entries that encode and decode again to the same
// entries, and restores into the tiny run of checkpoint_fuzz_model.hpp. Each input is tried twice:
// as given, and with its last 4 bytes replaced by the right CRC-32, so the fuzzer also explores the
// fields behind the checksum. A crash, a sanitizer report, a hang or another exception is a bug.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "checkpoint_fuzz_model.hpp"
#include "gb/core/error.hpp"

namespace {

std::vector<std::vector<double>> snapshot(gb::fuzz::TinyRun& run) {
  std::vector<std::vector<double>> out;
  for (const auto& [name, t] : run.model.state_dict()) out.push_back(t.to_vector());
  for (const auto& [name, t] : run.optimizer.state_dict()) out.push_back(t.to_vector());
  out.push_back({static_cast<double>(run.schedule.last_epoch()), run.schedule.base_lr(),
                 static_cast<double>(run.rng.state().state)});
  return out;
}

void check(const std::string& bytes) {
  gb::nn::TensorMap entries;
  try {
    entries = gb::nn::decode_checkpoint(bytes);
  } catch (const gb::Error&) {
    return;  // rejected with a clear error: fine
  }
  // Decoded entries survive a round trip through the encoder.
  const gb::nn::TensorMap again = gb::nn::decode_checkpoint(gb::nn::encode_checkpoint(entries));
  if (again.size() != entries.size()) std::abort();
  for (const auto& [name, t] : entries) {
    const gb::Tensor& u = again.at(name);
    if (u.dtype() != t.dtype() || u.shape() != t.shape()) std::abort();
    const std::size_t n = static_cast<std::size_t>(t.numel()) * gb::dtype_size(t.dtype());
    if (n > 0 && std::memcmp(u.raw_data(), t.raw_data(), n) != 0) std::abort();
  }
  // Restoring is all or nothing.
  gb::fuzz::TinyRun run;
  const auto before = snapshot(run);
  try {
    gb::nn::restore_checkpoint(entries, run.model, run.optimizer, &run.schedule, run.rngs());
  } catch (const gb::Error&) {
    if (snapshot(run) != before) std::abort();  // a failed load changed something
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  check(bytes);
  if (size >= 4) {
    std::string fixed = bytes;
    const auto crc = static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size - 4)));
    std::memcpy(fixed.data() + size - 4, &crc, 4);
    check(fixed);
  }
  return 0;
}
