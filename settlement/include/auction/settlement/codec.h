// Binary encoding of settlement's values (little-endian, auction/engine/binary_codec.h's
// building blocks): what the settlement store persists and what the state digest hashes.
//
// Contract: each decode_*() accepts exactly what its encode_*() produces and returns false on any
// short, malformed or out-of-range field, never reading past its input. Decoding an input body
// does not judge it (refused inputs are journaled too); apply() does.
// Threading: pure functions.
#pragma once

#include <string>

#include "auction/engine/binary_codec.h"
#include "auction/settlement/input.h"
#include "auction/settlement/model.h"

namespace auction::settlement {

void encode_account(ByteWriter& out, const Account& account);
bool decode_account(ByteReader& in, Account& account);
void encode_order(ByteWriter& out, const Order& order);
bool decode_order(ByteReader& in, Order& order);
void encode_lot_info(ByteWriter& out, const LotInfo& info);
bool decode_lot_info(ByteReader& in, LotInfo& info);
void encode_transfer(ByteWriter& out, const Transfer& transfer);
bool decode_transfer(ByteReader& in, Transfer& transfer);
void encode_config(ByteWriter& out, const SettlementConfig& config);
bool decode_config(ByteReader& in, SettlementConfig& config);

// The input kind byte followed by its fields.
void encode_input_body(ByteWriter& out, const InputBody& body);
bool decode_input_body(ByteReader& in, InputBody& body);

}  // namespace auction::settlement
