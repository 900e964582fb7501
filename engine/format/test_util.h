// Test-only helpers for the format codecs' tests. Include only from engine/format/*_test.cc.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "engine/format/page.h"
#include "engine/format/types.h"
#include "gtest/gtest.h"
#include "util/coding.h"

namespace northstar::engine::testing {

inline constexpr std::array<uint32_t, 5> kAllPageSizes = {4096, 8192, 16384, 32768, 65536};

inline constexpr size_t kChecksumOffset = 24;

// Recomputes the checksum field, as a crafted page would carry it: the page then passes the CRC
// and only the decoder's own checks stand between its fields and the reader.
inline void Reseal(std::span<uint8_t> page) {
  EncodeFixed32(page.data() + kChecksumOffset, PageChecksum(page));
}

// Success iff `status` is kDataLoss and its message holds every one of `substrings`.
inline ::testing::AssertionResult IsDataLoss(const absl::Status& status,
                                             std::initializer_list<std::string_view> substrings) {
  if (status.code() != absl::StatusCode::kDataLoss) {
    return ::testing::AssertionFailure() << "expected DataLoss, got " << status;
  }
  const std::string message(status.message());
  for (const std::string_view substring : substrings) {
    if (message.find(substring) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message \"" << message << "\" lacks \"" << substring << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

// Flips each byte of `page` in turn (every bit of it), checks `parse` rejects the page, and
// restores it. Stops at the first byte `parse` accepts and reports its offset.
inline ::testing::AssertionResult EveryByteFlipFails(
    std::vector<uint8_t> page, const std::function<absl::Status(std::span<const uint8_t>)>& parse) {
  for (size_t offset = 0; offset < page.size(); offset++) {
    page[offset] ^= 0xFF;
    const absl::Status status = parse(page);
    page[offset] ^= 0xFF;
    if (status.code() != absl::StatusCode::kDataLoss) {
      return ::testing::AssertionFailure() << "flipping byte " << offset << " gave " << status;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace northstar::engine::testing
