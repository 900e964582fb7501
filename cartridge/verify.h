// Verifying a cartridge against its database: `northstar cartridge verify`.
//
// The file must decode (every field and both checksums, DecodeCartridge), its content must equal
// a fresh scan of the database at the cartridge's watermark, and its bytes must equal the
// encoding of that scan (the format has one encoding per content). The comparison needs the
// snapshot at the watermark: the latest commit, or a retained one (begin_read_at); a cartridge
// behind the database whose snapshot is gone cannot be compared and fails as stale. Passing means
// the cartridge would be served as it is and is right: decodes, fresh, equal.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cartridge/refresh.h"
#include "engine/db.h"
#include "vfs/file_system.h"

namespace northstar::cartridge {

struct VerifyResult {
  CartridgeState state = CartridgeState::kAbsent;
  std::string state_reason;      // CartridgeCheck::reason.
  engine::TxnId database_txn = 0;        // The latest commit.
  std::optional<engine::TxnId> watermark_txn;  // When the file decoded.
  bool compared = false;         // The content was compared with a scan at the watermark.
  // The first problem, one line ("type \"build\": task 17 is pending in the database but
  // missing from the cartridge", "stale: ...", the decode error); empty when the cartridge passes.
  std::string finding;

  [[nodiscard]] bool ok() const { return finding.empty(); }
};

// Checks the cartridge of `db` (at CartridgePathFor(db.path())). Errors only when the database
// or the file cannot be read; every finding about the cartridge is in the result.
[[nodiscard]] absl::StatusOr<VerifyResult> VerifyCartridge(vfs::FileSystem& fs, engine::Db& db);

}  // namespace northstar::cartridge
