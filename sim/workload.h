// Workload generation: keys, values and operation choices for the runner's fibers, all drawn
// from named RNG streams so that a scenario and seed give the same operations every time.
#pragma once

#include <cstdint>
#include <string>

#include "sim/scenario.h"
#include "util/random.h"

namespace northstar::sim {

// Zipf-distributed ranks in [1, n] with exponent `theta` by rejection-inversion (Hörmann and
// Derflinger 1996): O(1) per draw, no table, so key spaces of any size work.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double theta);
  [[nodiscard]] uint64_t next(Rng& rng) const;

 private:
  [[nodiscard]] double h(double x) const;
  [[nodiscard]] double h_integral(double x) const;
  [[nodiscard]] double h_integral_inverse(double x) const;

  uint64_t n_;
  double theta_;
  double h_integral_x1_;
  double h_integral_n_;
  double s_;
};

enum class WriterOp { kPut, kDelete, kGet };
enum class ReaderOp { kGet, kRangeScan, kPrefixScan, kReverseScan, kAsOfRead };

class WorkloadGenerator {
 public:
  WorkloadGenerator(const WorkloadConfig& config, Rng rng);

  [[nodiscard]] std::string key();
  [[nodiscard]] std::string value();
  // The length value() draws (and the draws it makes first).
  [[nodiscard]] uint64_t value_size();
  [[nodiscard]] WriterOp writer_op();
  [[nodiscard]] ReaderOp reader_op();
  [[nodiscard]] uint32_t ops_in_transaction();
  [[nodiscard]] bool abort_transaction();
  [[nodiscard]] Rng& rng() { return rng_; }

 private:
  const WorkloadConfig& config_;
  Rng rng_;
  ZipfSampler zipf_;
  uint64_t sequential_next_ = 0;
};

// Key `index` as stored: fixed width, so that key order is index order.
[[nodiscard]] std::string KeyName(uint64_t index);

}  // namespace northstar::sim
