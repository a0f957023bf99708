// The journal's record format: one sequenced command per record, versioned and checksummed.
//
//   u8 format version | u8 command kind | u16 flags | u64 seq | i64 ts_ms |
//   payload (per kind) | [format 2: u32 event count | u64 events digest] |
//   u64 XXH3-64 of everything before it
//
// Format 2 adds the command's recorded outcome (outcome.h), which `auction-replay check` compares
// with a replay; the pipeline writes format 2. Format 1 (no outcome) stays readable. Flag 1: the
// lot configs of the payload are each followed by their rules (increment table, max_bids; set
// only where a config has rules other than the defaults, so other records are unchanged).
//
// Contract: encode_record() appends exactly one record; decode_record() accepts exactly what
// encode_record() produces and otherwise returns Status::Code::corruption with the reason (bad
// checksum, unknown version or kind, truncated or invalid field, trailing bytes). It never
// reads past its input. Threading: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auction/engine/command.h"
#include "auction/engine/status.h"
#include "auction/persistence/outcome.h"

namespace auction::persistence {

inline constexpr std::uint8_t kRecordFormatVersion = 2;  // the newest this code reads
inline constexpr std::size_t kRecordHeaderBytes = 1 + 1 + 2 + 8 + 8;
inline constexpr std::size_t kRecordChecksumBytes = 8;

// Format 2 with `outcome`, format 1 without it (writers that have no outcome to record).
void encode_record(const Command& command, std::string& out,
                   const RecordedOutcome* outcome = nullptr);
// `outcome`, when given, receives the recorded outcome, or nothing for a format-1 record.
Status decode_record(std::string_view bytes, Command& out,
                     std::optional<RecordedOutcome>* outcome = nullptr);

// The sequence number of a record, read without decoding the rest (0 when too short).
Seq record_seq(std::string_view bytes);

}  // namespace auction::persistence
