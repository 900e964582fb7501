// Checksum repair for commit-record inputs (engine/log/record.h), used by the commit_record and
// log_reader targets' custom mutators: after libFuzzer mutates a record, its header CRC and
// payload CRC no longer match, and the decoder stops at the first check. Re-sealing lets mutants
// reach the field and payload checks behind the CRCs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace northstar::fuzz {

// Walks records from data[0]: for each one that starts with the log magic and whose header fits,
// rewrites the header CRC, then (if the payload and trailer fit too) the payload CRC, and moves
// on by the record size the header claims. Stops at the first record that does not start with
// the magic or does not fit. Returns the number of records re-sealed.
size_t ResealLogRecords(uint8_t* data, size_t size);

// libFuzzer's mutation, then ResealLogRecords with probability 3/4 (drawn from `seed`).
[[nodiscard]] size_t MutateLogBytes(uint8_t* data, size_t size, size_t max_size, uint32_t seed);

}  // namespace northstar::fuzz
