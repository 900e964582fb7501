#include "sim/workload.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "util/assert.h"

namespace northstar::sim {
namespace {

// log1p(x) / x and expm1(x) / x, continuous at 0.
double Helper1(double x) { return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x / 3); }
double Helper2(double x) { return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x * (0.5 + x / 6); }

}  // namespace

std::string KeyName(uint64_t index) { return absl::StrFormat("k%010d", index); }

ZipfSampler::ZipfSampler(uint64_t n, double theta) : n_(n), theta_(theta) {
  NS_ASSERT(n_ >= 1);
  NS_ASSERT(theta_ > 0);
  h_integral_x1_ = h_integral(1.5) - 1;
  h_integral_n_ = h_integral(static_cast<double>(n_) + 0.5);
  s_ = 2 - h_integral_inverse(h_integral(2.5) - h(2));
}

double ZipfSampler::h(double x) const { return std::exp(-theta_ * std::log(x)); }

double ZipfSampler::h_integral(double x) const {
  const double log_x = std::log(x);
  return Helper2((1 - theta_) * log_x) * log_x;
}

double ZipfSampler::h_integral_inverse(double x) const {
  double t = x * (1 - theta_);
  if (t < -1) t = -1;  // Guards rounding at the edge of the domain.
  return std::exp(Helper1(t) * x);
}

uint64_t ZipfSampler::next(Rng& rng) const {
  for (int attempt = 0; attempt < 1000; attempt++) {
    const double u = h_integral_n_ + rng.NextDouble() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    uint64_t k = static_cast<uint64_t>(x + 0.5);
    k = std::clamp<uint64_t>(k, 1, n_);
    if (static_cast<double>(k) - x <= s_ || u >= h_integral(static_cast<double>(k) + 0.5) - h(k)) {
      return k;
    }
  }
  return 1;  // Rejection essentially never loops this long; stay bounded anyway.
}

WorkloadGenerator::WorkloadGenerator(const WorkloadConfig& config, Rng rng)
    : config_(config),
      rng_(rng),
      zipf_(config.key_space, config.zipf_theta > 0 ? config.zipf_theta : 1) {}

std::string WorkloadGenerator::key() {
  switch (config_.key_distribution) {
    case KeyDistribution::kUniform:
      return KeyName(rng_.Uniform(config_.key_space));
    case KeyDistribution::kZipf:
      return KeyName(zipf_.next(rng_) - 1);
    case KeyDistribution::kSequential:
      return KeyName(sequential_next_++ % config_.key_space);
  }
  NS_ASSERT_MSG(false, "unknown key distribution");
}

uint64_t WorkloadGenerator::value_size() {
  return rng_.Chance(config_.big_value_probability)
             ? config_.big_value_size_bytes
             : rng_.UniformInclusive(config_.value_size_min_bytes, config_.value_size_max_bytes);
}

std::string WorkloadGenerator::value() {
  const uint64_t size = value_size();
  // One draw per value: a repeating 8-byte pattern keeps generation cheap but distinct.
  const uint64_t pattern = rng_.Next();
  std::string value(size, '\0');
  for (size_t index = 0; index < value.size(); index++) {
    value[index] = static_cast<char>(pattern >> (8 * (index % 8)));
  }
  return value;
}

WriterOp WorkloadGenerator::writer_op() {
  const OpMix& mix = config_.mix;
  const uint64_t total = uint64_t{mix.put} + mix.del + mix.get;
  if (total == 0) return WriterOp::kPut;
  const uint64_t draw = rng_.Uniform(total);
  if (draw < mix.put) return WriterOp::kPut;
  if (draw < uint64_t{mix.put} + mix.del) return WriterOp::kDelete;
  return WriterOp::kGet;
}

ReaderOp WorkloadGenerator::reader_op() {
  const OpMix& mix = config_.mix;
  const uint64_t weights[] = {mix.get, mix.range_scan, mix.prefix_scan, mix.reverse_scan,
                              mix.as_of_read};
  uint64_t total = 0;
  for (uint64_t weight : weights) total += weight;
  if (total == 0) return ReaderOp::kGet;
  uint64_t draw = rng_.Uniform(total);
  for (int index = 0; index < 5; index++) {
    if (draw < weights[index]) return static_cast<ReaderOp>(index);
    draw -= weights[index];
  }
  return ReaderOp::kGet;
}

uint32_t WorkloadGenerator::ops_in_transaction() {
  return static_cast<uint32_t>(
      rng_.UniformInclusive(config_.ops_per_transaction_min, config_.ops_per_transaction_max));
}

bool WorkloadGenerator::abort_transaction() { return rng_.Chance(config_.abort_probability); }

}  // namespace northstar::sim
