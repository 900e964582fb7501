// What every fuzz target shares: the libFuzzer entry points, a reader that turns fuzz input into
// choices, and the checks a decoder's result must pass.
//
// A target defines LLVMFuzzerTestOneInput and may define LLVMFuzzerCustomMutator. In the fuzz
// preset libFuzzer supplies main() and LLVMFuzzerMutate; in every other build replay_main.cc
// does (a corpus replayer), so the same target source is a fuzzer under clang and a corpus
// regression test under g++.
//
// Contract of every target: any input returns normally or, on a real bug, aborts through
// NS_ASSERT (libFuzzer reports the abort as a crash and saves the input). Targets never keep
// state between inputs, so each input replays alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "util/assert.h"
#include "util/coding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// libFuzzer's own mutation of data[0, size) in place, up to max_size bytes; returns the new size.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace northstar::fuzz {

// Reads choices from the fuzz input front to back. Past the end every read returns zeros (and
// empty byte strings), so a target never has to check lengths: a short input is simply a
// sequence of default choices.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  [[nodiscard]] bool empty() const { return position_ >= bytes_.size(); }
  [[nodiscard]] size_t remaining_bytes() const { return empty() ? 0 : bytes_.size() - position_; }
  [[nodiscard]] uint8_t u8() { return empty() ? 0 : bytes_[position_++]; }
  [[nodiscard]] uint16_t u16() {
    const uint16_t low = u8();
    return static_cast<uint16_t>(low | (uint16_t{u8()} << 8));
  }
  // Up to `size_bytes` bytes, fewer at the end of the input.
  [[nodiscard]] std::string_view bytes(size_t size_bytes) {
    const size_t taken = size_bytes < remaining_bytes() ? size_bytes : remaining_bytes();
    const std::string_view result(reinterpret_cast<const char*>(bytes_.data()) + position_, taken);
    position_ += taken;
    return result;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t position_ = 0;
};

// A decoder's verdict on bad bytes must be a clear Corruption: kDataLoss with a message.
inline void AssertCorruption(const absl::Status& status, std::string_view decoder) {
  NS_ASSERT_MSG(status.code() == absl::StatusCode::kDataLoss,
                std::string(decoder) + " returned a non-DataLoss error: " + status.ToString());
  NS_ASSERT_MSG(!status.message().empty(), std::string(decoder) + " returned an empty message");
}

// The page id field of a page header (bytes [8, 16)), or `fallback` for an input too short to
// have one. Node and meta targets decode a page as the id it claims, so that the id check passes
// and the body checks run; the page header target covers mismatched ids.
[[nodiscard]] inline uint64_t ClaimedPageId(std::span<const uint8_t> page, uint64_t fallback) {
  return page.size() >= 16 ? DecodeFixed64(page.data() + 8) : fallback;
}

}  // namespace northstar::fuzz
