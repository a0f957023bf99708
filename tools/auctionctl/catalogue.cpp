#include "catalogue.h"

#include <filesystem>

#include <toml++/toml.h>

#include <sstream>

#include "lot_input.h"
#include "values.h"

namespace auctionctl {
namespace {

// The people's name of an API field ("timed_ms" → "timed", "starts_in_ms" → "starts_at").
std::string field_of(std::string api_field) {
  for (const char* suffix : {"_in_ms", "_at_ms"}) {
    const std::string s(suffix);
    if (api_field.size() > s.size() && api_field.ends_with(s)) {
      return api_field.substr(0, api_field.size() - s.size()) + "_at";
    }
  }
  if (api_field.ends_with("_ms")) api_field.resize(api_field.size() - 3);
  return api_field;
}

std::uint32_t line_of(const toml::node& node) {
  return static_cast<std::uint32_t>(node.source().begin.line);
}

// A value as people wrote it; tables and arrays by their kind (printing them whole spread an
// error over many lines: another fuzz_catalogue finding).
std::string text_of(const toml::node& node) {
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  std::ostringstream out;
  node.visit([&out](const auto& value) { out << value; });
  return out.str();
}

// A TOML value as the text LotInput checks; amounts must be TOML integers, the rest strings
// (or a TOML date-time for times, or 0 for durations).
std::optional<std::string> value_text(std::string_view field, const toml::node& node,
                                      std::string& text) {
  const bool amount =
      field == "start_price" || field == "increment" || field == "reserve" || field == "deposit";
  if (amount) {
    if (!node.is_integer()) {
      return "bad amount " + text_of(node) +
             ": an integer number of minor units (cents), without quotes";
    }
    text = std::to_string(node.as_integer()->get());
    return std::nullopt;
  }
  if (field == "max_bids") {
    if (!node.is_boolean()) return "must be true or false, not " + text_of(node);
    text = node.as_boolean()->get() ? "true" : "false";
    return std::nullopt;
  }
  if (field == "increments") {  // [[0, 500], [10000, 1000]] → the flag's "0:500,10000:1000"
    const auto* bands = node.as_array();
    if (bands == nullptr) return "must be an array of [from, increment] pairs";
    for (const toml::node& band : *bands) {
      const auto* pair = band.as_array();
      if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_integer() ||
          !(*pair)[1].is_integer()) {
        return "each band is [from, increment], whole minor units, e.g. [10000, 1000]";
      }
      text += (text.empty() ? "" : ",") + std::to_string((*pair)[0].as_integer()->get()) + ":" +
              std::to_string((*pair)[1].as_integer()->get());
    }
    return std::nullopt;
  }
  if (const auto* date_time = node.as_date_time()) {
    const toml::date_time& dt = date_time->get();
    const auto ms =
        civil_to_ms(dt.date.year, dt.date.month, dt.date.day, dt.time.hour, dt.time.minute,
                    dt.time.second, static_cast<int>(dt.time.nanosecond / 1'000'000),
                    dt.offset ? std::optional<int>(dt.offset->minutes) : std::nullopt);
    if (!ms) return "bad time " + text_of(node);
    text = iso_utc(*ms);
    return std::nullopt;
  }
  if (node.is_integer() && node.as_integer()->get() == 0) {
    text = "0";
    return std::nullopt;
  }
  if (!node.is_string()) return "must be a string, not " + text_of(node);
  text = node.as_string()->get();
  return std::nullopt;
}

std::string where(const std::string& path, std::uint32_t line) {
  return path + ":" + std::to_string(line) + ": ";
}

std::string lot_name(std::size_t index, const std::string& id) {
  return "lot " + std::to_string(index + 1) + (id.empty() ? "" : " \"" + id + "\"") + ": ";
}

}  // namespace

std::string CatalogueFile::locate(std::optional<std::size_t> index, const std::string& api_field,
                                  const std::string& message) const {
  const std::string field = field_of(api_field);
  std::uint32_t line = 0;
  std::string subject;
  if (index && *index < lots.size()) {
    const Lot& lot = lots[*index];
    subject = lot_name(*index, lot.id);
    line = lot.line;
    // A refusal of the lot as a whole (e.g. its id exists) points at its id.
    const std::string key = field.empty() ? "id" : field;
    if (const auto found = lot.field_lines.find(key); found != lot.field_lines.end()) {
      line = found->second;
    } else if (const auto shared = default_lines.find(key); shared != default_lines.end()) {
      line = shared->second;
    }
  }
  return (line != 0 ? where(path, line) : path + ": ") + subject +
         (field.empty() ? "" : field + ": ") + message;
}

namespace {

std::optional<std::string> parse_catalogue(const std::string& path, CatalogueFile& out) {
  out = CatalogueFile{};
  out.path = path;
  toml::table table;
  std::error_code missing;
  if (!std::filesystem::is_regular_file(path, missing)) {
    return path + ": " + (std::filesystem::exists(path, missing) ? "not a file" : "no such file");
  }
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return where(path, static_cast<std::uint32_t>(e.source().begin.line)) +
           std::string(e.description());
  }
  // Sale-wide values and the stagger.
  std::map<std::string, std::pair<std::string, std::uint32_t>> shared;
  DurationMs gap_ms = 0;
  const toml::array* lots = nullptr;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const std::uint32_t line = line_of(node);
    if (name == "lots") {
      lots = node.as_array();
      if (lots == nullptr) return where(path, line) + "lots must be an array of tables: [[lots]]";
      continue;
    }
    std::string text;
    if (name == "gap") {
      if (auto bad = value_text("gap", node, text)) return where(path, line) + "gap: " + *bad;
      const auto gap = parse_duration(text);
      if (!gap.value) return where(path, line) + "gap: " + gap.error;
      gap_ms = *gap.value;
      continue;
    }
    if (!is_lot_field(name) || name == "id") {
      return where(path, line) + "unknown field \"" + name + "\"";
    }
    if (auto bad = value_text(name, node, text)) return where(path, line) + name + ": " + *bad;
    shared[name] = {text, line};
    out.default_lines[name] = line;
  }
  if (lots == nullptr || lots->empty()) return path + ": no lots (add [[lots]] tables)";

  out.body = "{\"lots\":[";
  for (std::size_t i = 0; i < lots->size(); ++i) {
    const toml::table* lot_table = (*lots)[i].as_table();
    const std::uint32_t lot_line = line_of((*lots)[i]);
    if (lot_table == nullptr) return where(path, lot_line) + "each lot must be a [[lots]] table";
    CatalogueFile::Lot lot;
    lot.line = lot_line;
    if (const auto* id = lot_table->get_as<std::string>("id")) lot.id = id->get();
    LotInput input;
    for (const auto& [key, node] : *lot_table) {
      const std::string name(key.str());
      const std::uint32_t line = line_of(node);
      const std::string prefix = where(path, line) + lot_name(i, lot.id);
      if (!is_lot_field(name)) return prefix + "unknown field \"" + name + "\"";
      std::string text;
      if (auto bad = value_text(name, node, text)) return prefix + name + ": " + *bad;
      if (auto bad = input.add(name, text)) return prefix + name + ": " + *bad;
      lot.field_lines[name] = line;
    }
    for (const auto& [name, value] : shared) {
      if (input.has(name)) continue;
      if (auto bad = input.add(name, value.first)) {
        return where(path, value.second) + lot_name(i, lot.id) + name + ": " + *bad;
      }
      if (name == "starts_at") input.shift_start(gap_ms * static_cast<DurationMs>(i));
    }
    for (const std::string_view required : kLotFieldNames) {
      const bool optional = required == "reserve" || required == "deposit" ||
                            required == "latest_close_at" || required == "starts_at" ||
                            required == "increments" || required == "max_bids" ||
                            (required == "increment" && input.has("increments"));
      if (!optional && !input.has(required)) {
        return where(path, lot_line) + lot_name(i, lot.id) + "missing field \"" +
               std::string(required) + "\"";
      }
    }
    if (!input.has("starts_at")) {
      return where(path, lot_line) + lot_name(i, lot.id) +
             "missing field \"starts_at\" (set it for the lot or for the whole sale)";
    }
    out.body += (i == 0 ? "" : ",") + input.json();
    out.lots.push_back(std::move(lot));
  }
  out.body += "]}";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> load_catalogue(const std::string& path, CatalogueFile& out) {
  // Errors quote what the file says, which may hold line breaks (toml++'s "saw 'i\n'", an id
  // written "pr\nt": fuzz_catalogue findings): every error is made one line here, once. (Those
  // from locate() are made so where auctionctl prints them, in fail().)
  if (std::optional<std::string> error = parse_catalogue(path, out)) return one_line(*error);
  return std::nullopt;
}

}  // namespace auctionctl
