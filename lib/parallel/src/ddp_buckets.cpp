// ddp_buckets.cpp: DDP's bucket assignment (lesson 11, exercise parallel.ddp.bucket_assignment).
#include <string>

#include "gb/core/error.hpp"
#include "gb/parallel/ddp.hpp"

namespace gb::parallel {

std::vector<std::vector<int>> assign_buckets(const std::vector<std::int64_t>& parameter_bytes,
                                             const BucketOptions& options) {
  if (parameter_bytes.empty()) throw Error("assign_buckets", "at least one parameter", "none");
  for (std::size_t p = 0; p < parameter_bytes.size(); ++p)
    if (parameter_bytes[p] < 1)
      throw Error("assign_buckets", "parameter sizes of at least 1 byte",
                  std::to_string(parameter_bytes[p]) + " bytes for parameter " + std::to_string(p));
  if (options.first_bucket_bytes < 1 || options.bucket_cap_bytes < 1)
    throw Error("assign_buckets", "bucket caps of at least 1 byte",
                std::to_string(options.first_bucket_bytes) + " and " + std::to_string(options.bucket_cap_bytes));
  std::vector<std::vector<int>> buckets;
  // BEGIN EXERCISE(parallel.ddp.bucket_assignment)
  // Walk the parameters in reverse registration order: backward computes the last layer's gradients
  // first. Add each whole parameter to the open bucket; close the bucket as soon as its bytes reach
  // the cap (the small first cap for the first bucket, bucket_cap_bytes afterwards).
  std::vector<int> open;
  std::int64_t open_bytes = 0;
  for (int p = static_cast<int>(parameter_bytes.size()) - 1; p >= 0; --p) {
    open.push_back(p);
    open_bytes += parameter_bytes[p];
    const std::int64_t cap = buckets.empty() ? options.first_bucket_bytes : options.bucket_cap_bytes;
    if (open_bytes >= cap) {
      buckets.push_back(open);
      open.clear();
      open_bytes = 0;
    }
  }
  if (!open.empty()) buckets.push_back(open);  // the last, partly filled bucket
  // END EXERCISE
  return buckets;
}

}  // namespace gb::parallel
