// The fields every server message of the bidder protocol opens with (SPEC §7): "type", "ts" (the
// server's time) and, when the message answers a request that had one, its "id". Shared by the
// answers (protocol_encode.cpp) and a lot's messages (protocol_events.cpp).
#pragma once

#include "auction/gateway/json_writer.h"
#include "auction/gateway/protocol.h"

namespace auction::gateway {

inline JsonWriter& message_header(JsonWriter& w, std::string_view type, const RequestId& id,
                                  TimeMs ts_ms) {
  w.begin_object().field("type", type).field("ts", std::int64_t{ts_ms});
  if (id) w.field("id", *id);
  return w;
}

}  // namespace auction::gateway
