#include "sim/code_graph_ingest.h"

#include <algorithm>
#include <optional>

#include "util/assert.h"

namespace northstar::sim {
namespace {

constexpr std::string_view kModuleFilePrefix = "file:src/m";

// The module a file: record starts ("file:src/m0003/f0012.cc" -> 3); nullopt for other records.
// Records come module by module, so every other record belongs to the last file's module.
std::optional<uint32_t> ModuleOfFileRecord(std::string_view key) {
  if (!key.starts_with(kModuleFilePrefix)) return std::nullopt;
  uint32_t module = 0;
  size_t index = kModuleFilePrefix.size();
  for (; index < key.size() && key[index] >= '0' && key[index] <= '9'; index++) {
    module = module * 10 + static_cast<uint32_t>(key[index] - '0');
  }
  NS_ASSERT(index > kModuleFilePrefix.size());
  return module;
}

}  // namespace

GraphIngest::GraphIngest(const CodeGraphSizes& sizes, uint64_t seed, uint32_t writers)
    : shares_(writers), positions_(writers, 0) {
  NS_ASSERT(writers >= 1);
  config_.seed = seed;
  config_.modules = sizes.modules;
  config_.files_per_module = sizes.files_per_module;
  config_.functions_per_file = sizes.functions_per_file;
  config_.calls_per_function = sizes.calls_per_function;
  config_.imports_per_file = sizes.imports_per_file;
  uint32_t module = 0;
  const absl::StatusOr<apps::CodeGraphTotals> totals =
      apps::ForEachRecord(config_, [&](std::string_view key, std::string_view value) {
        if (const std::optional<uint32_t> file_module = ModuleOfFileRecord(key)) {
          NS_ASSERT(*file_module >= module);
          module = *file_module;
        }
        shares_[module % writers].emplace_back(key, value);
        const bool inserted = all_records_.emplace(key, value).second;
        NS_ASSERT_MSG(inserted, "apps::ForEachRecord emitted a key twice");
        return absl::OkStatus();
      });
  NS_ASSERT_MSG(totals.ok(), "the scenario's code-graph sizes were validated");
  NS_ASSERT(totals->records == all_records_.size());
}

void GraphIngest::attempted(uint64_t txn_id, uint32_t writer, size_t position) {
  NS_ASSERT(commits_.empty() || commits_.rbegin()->first < txn_id);
  NS_ASSERT(position > positions_.at(writer) && position <= records(writer).size());
  commits_[txn_id] = Commit{writer, position};
  positions_[writer] = position;
  if (complete_txn_ != 0) return;
  for (uint32_t index = 0; index < shares_.size(); index++) {
    if (records_left(index) > 0) return;
  }
  complete_txn_ = txn_id;
}

void GraphIngest::recovered(uint64_t txn_id, bool skip_one) {
  commits_.erase(commits_.upper_bound(txn_id), commits_.end());
  std::fill(positions_.begin(), positions_.end(), 0);
  for (const auto& [txn, commit] : commits_) positions_[commit.writer] = commit.position;
  if (complete_txn_ > txn_id) complete_txn_ = 0;
  if (!skip_one) return;
  for (uint32_t writer = 0; writer < shares_.size(); writer++) {
    if (records_left(writer) > 0) positions_[writer]++;
  }
}

}  // namespace northstar::sim
