#include "lot_input.h"

#include <algorithm>
#include <cstdio>

#include "values.h"

namespace auctionctl {

bool valid_id(std::string_view text) {
  return !text.empty() && text.size() <= 32 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool is_lot_field(std::string_view name) {
  return std::find(std::begin(kLotFieldNames), std::end(kLotFieldNames), name) !=
         std::end(kLotFieldNames);
}

std::optional<std::string> increments_json(std::string_view text, std::string& json) {
  constexpr std::size_t kMaxBands = 32;  // SPEC §4.1
  json = "[";
  std::int64_t previous_from = -1;
  std::size_t bands = 0;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view band = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto colon = band.find(':');
    if (colon == std::string_view::npos) {
      return "bad band "
             " + std::string(band) + "
             ": write FROM:INCREMENT, e.g. 10000:1000";
    }
    const auto from = parse_amount(band.substr(0, colon), 0);
    if (!from.value)
      return "band "
             " + std::string(band) + "
             ": " +
             from.error;
    const auto step = parse_amount(band.substr(colon + 1), 1);
    if (!step.value)
      return "band "
             " + std::string(band) + "
             ": " +
             step.error;
    if (bands == 0 && *from.value != 0) return std::string("the first band starts at 0");
    if (*from.value <= previous_from) {
      return "band "
             " + std::string(band) + "
             ": bands must start at ascending amounts";
    }
    if (++bands > kMaxBands) return "at most " + std::to_string(kMaxBands) + " bands";
    previous_from = *from.value;
    json += (bands == 1 ? "[" : ",[") + std::to_string(*from.value) + "," +
            std::to_string(*step.value) + "]";
  }
  if (bands == 0) return std::string("give at least one band, e.g. 0:500,10000:1000");
  json += "]";
  return std::nullopt;
}

std::optional<std::string> LotInput::add(std::string_view field, std::string_view text) {
  const std::string name(field);
  fields_[name] = std::string(text);
  if (field == "id" || field == "seller") {
    if (!valid_id(text)) {
      return "bad " + name + " \"" + std::string(text) + "\": 1-32 characters of A-Z a-z 0-9 _ -";
    }
    json_[name] = json_string(text);
  } else if (field == "title") {
    if (text.empty() || text.size() > 200) return std::string("bad title: 1-200 bytes of text");
    json_[name] = json_string(text);
  } else if (field == "currency") {
    if (text.size() != 3 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      return "bad currency \"" + std::string(text) + "\": an ISO 4217 code such as EUR";
    }
    json_[name] = json_string(text);
  } else if (field == "start_price" || field == "increment" || field == "reserve" ||
             field == "deposit") {
    const auto amount = parse_amount(text, field == "deposit" ? 0 : 1);
    if (!amount.value) return amount.error;
    json_[name] = std::to_string(*amount.value);
  } else if (field == "increments") {
    std::string json;
    if (auto bad = increments_json(text, json)) return bad;
    json_[name] = json;
  } else if (field == "max_bids") {
    if (text != "true" && text != "false") return std::string("max_bids is true or false");
    json_[name] = std::string(text);
  } else if (field == "timed" || field == "extension") {
    const auto duration = parse_duration(text);
    if (!duration.value) return duration.error;
    json_[name + "_ms"] = std::to_string(*duration.value);
  } else if (field == "starts_at" || field == "latest_close_at") {
    const auto when = parse_when(text);
    if (!when.value) return when.error;
    const std::string stem = field == "starts_at" ? "starts" : "latest_close";
    json_.erase(stem + "_at_ms");
    json_.erase(stem + "_in_ms");
    if (const auto* relative = std::get_if<RelativeTime>(&*when.value)) {
      if (field == "latest_close_at" && relative->after_now_ms == 0) {
        return std::string("bad latest_close_at \"now\": it must lie in the future");
      }
      json_[stem + "_in_ms"] = std::to_string(relative->after_now_ms);
    } else {
      json_[stem + "_at_ms"] = std::to_string(std::get<TimeMs>(*when.value));
    }
  } else {
    return "unknown field \"" + name + "\"";
  }
  return std::nullopt;
}

void LotInput::shift_start(std::int64_t delta_ms) {
  for (const char* key : {"starts_in_ms", "starts_at_ms"}) {
    if (const auto found = json_.find(key); found != json_.end()) {
      found->second = std::to_string(std::stoll(found->second) + delta_ms);
    }
  }
}

std::string LotInput::json() const {
  std::string out = "{";
  for (const auto& [key, value] : json_) {
    if (out.size() > 1) out += ',';
    out += json_string(key) + ":" + value;
  }
  return out + "}";
}

}  // namespace auctionctl
