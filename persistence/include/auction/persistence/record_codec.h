// The journal's record format: one sequenced command per record, versioned and checksummed.
//
//   u8 format version (1) | u8 command kind | u16 reserved (0) | u64 seq | i64 ts_ms |
//   payload (per kind) | u64 XXH3-64 of everything before it
//
// Contract: encode_record() appends exactly one record; decode_record() accepts exactly what
// encode_record() produces and otherwise returns Status::Code::corruption with the reason (bad
// checksum, unknown version or kind, truncated or invalid field, trailing bytes). It never
// reads past its input. Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auction/engine/command.h"
#include "auction/engine/status.h"

namespace auction::persistence {

inline constexpr std::uint8_t kRecordFormatVersion = 1;
inline constexpr std::size_t kRecordHeaderBytes = 1 + 1 + 2 + 8 + 8;
inline constexpr std::size_t kRecordChecksumBytes = 8;

void encode_record(const Command& command, std::string& out);
Status decode_record(std::string_view bytes, Command& out);

// The sequence number of a record, read without decoding the rest (0 when too short).
Seq record_seq(std::string_view bytes);

}  // namespace auction::persistence
