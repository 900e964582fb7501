// NorthstarTarget: our engine (engine/db.h) as the runner's system under test.
//
// Each epoch builds one on the disk as the last crash left it; open() recovers. The promise
// follows engine.durability (spec/targets.md TG-3): kLog and kMetaFlip lose no acknowledged
// commit; kLogNoSync may lose a suffix since the last checkpoint. The structure check is the
// engine's validate (skipped when corruption is injected: damage is then expected) and its page
// accounting audit. The planted bug kAckWithoutSync runs the engine in kLogNoSync while the
// promise stays the configured mode's, so the durability checker must catch it.
#pragma once

#include <memory>

#include "engine/db.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/target.h"

namespace northstar::targets {

class NorthstarTarget final : public sim::Target {
 public:
  NorthstarTarget(const sim::Scenario& scenario, sim::PlantedBug planted_bug);

  [[nodiscard]] const sim::Promise& promise() const override { return promise_; }
  [[nodiscard]] absl::Status open(const sim::TargetEnvironment& environment) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<sim::TargetWriter>> begin_write() override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<sim::TargetReader>> begin_read() override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<sim::TargetReader>> begin_read_at(
      uint64_t commit_id) override;
  [[nodiscard]] absl::StatusOr<std::vector<sim::StructureProblem>> check_structure() override;
  [[nodiscard]] absl::StatusOr<uint64_t> last_commit_id() override {
    return db_->stats().txn_id;
  }
  [[nodiscard]] uint64_t durable_commit_id() const override;
  void abandon() override { (void)db_.release(); }
  [[nodiscard]] engine::Db* engine_db() override { return db_.get(); }

 private:
  const sim::EngineConfig config_;
  const sim::PlantedBug planted_bug_;
  sim::Promise promise_;
  sim::TargetEnvironment environment_;
  std::unique_ptr<engine::Db> db_;
};

}  // namespace northstar::targets
