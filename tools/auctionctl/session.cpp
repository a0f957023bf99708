#include "session.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "admin_client.h"
#include "lot_input.h"
#include "output.h"
#include "values.h"

namespace auctionctl {

namespace dom = simdjson::dom;

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "auctionctl: %s\n", one_line(message).c_str());
  return code;
}

namespace {

std::optional<std::string> first_line_of(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}

}  // namespace

int Session::call(std::string_view method, const std::string& target, const std::string& body,
                  Reply& reply, const Explain& explain) {
  // Ids go into the path: check them here so a bad one is bad input, never a stray route.
  for (const std::string* id : ids_) {
    if (!valid_id(*id)) {
      return fail(kBadInput, "bad id \"" + *id + "\": 1-32 characters of A-Z a-z 0-9 _ -");
    }
  }
  std::string url = options_.server;
  const std::string dir =
      options_.data_dir.empty() ? env_or("AUCTION_DATA_DIR", "auction-data") : options_.data_dir;
  if (url.empty()) url = env_or("AUCTION_ADMIN_URL", "");
  if (url.empty() && !std::filesystem::is_directory(dir)) {
    return fail(kUnreachable, "no server data directory \"" + dir +
                                  "\" (give --data-dir of a running auctiond, or --server)");
  }
  if (url.empty()) url = first_line_of(dir + "/admin.url").value_or("http://127.0.0.1:8081");
  std::optional<std::string> token;
  if (!options_.token_file.empty()) {
    token = first_line_of(options_.token_file);
    if (!token) return fail(kUnauthorized, "no admin token in " + options_.token_file);
  }
  if (!token && std::getenv("AUCTION_ADMIN_TOKEN") != nullptr) {
    token = env_or("AUCTION_ADMIN_TOKEN", "");
  }
  if (!token) token = first_line_of(dir + "/admin.token");
  if (!token) {
    return fail(kUnauthorized,
                "no admin token: give --token-file, set AUCTION_ADMIN_TOKEN, "
                "or --data-dir of the server (" +
                    dir + "/admin.token)");
  }
  const AdminClient client(url, *token, std::chrono::milliseconds(options_.timeout_ms));
  std::string error;
  const auto http = client.request(method, target, body, error);
  if (!http) return fail(kUnreachable, error);
  if (reply.parser.parse(http->body).get(reply.root) != simdjson::SUCCESS) {
    return fail(kUnreachable, "auctiond at " + url + " sent a reply that is not JSON (HTTP " +
                                  std::to_string(http->status) + ")");
  }
  if (http->status < 400) return 0;
  std::string_view code = "error", message;
  std::string field;
  std::optional<std::size_t> index;
  const dom::element problem = reply.root["error"];
  if (problem["code"].get(code) != simdjson::SUCCESS) code = "error";
  if (problem["message"].get(message) != simdjson::SUCCESS) message = "refused";
  std::string_view field_view;
  if (problem["field"].get(field_view) == simdjson::SUCCESS) field = std::string(field_view);
  std::uint64_t at = 0;
  if (problem["index"].get(at) == simdjson::SUCCESS) index = at;
  if (http->status == 401) {
    return fail(kUnauthorized, "the admin token was refused by " + url +
                                   " (check --token-file or the server's admin.token)");
  }
  if (http->status == 503) return fail(kUnreachable, std::string(message));
  std::string text = std::string(message) + " (" + std::string(code) + ")";
  if (explain) {
    text = explain(std::string(code), std::string(message), field, index);
  } else if (!field.empty()) {
    text = field + ": " + text;
  }
  return fail(kRefused, text);  // the server saw the request and refused it
}

// Reading fields of a reply for tables.
std::string text(dom::element object, std::string_view key, std::string none) {
  std::string_view value;
  if (object[key].get(value) == simdjson::SUCCESS) return std::string(value);
  return none;
}
std::optional<std::int64_t> number(dom::element object, std::string_view key) {
  std::int64_t value = 0;
  if (object[key].get(value) == simdjson::SUCCESS) return value;
  return std::nullopt;
}
std::string amount(dom::element lot, std::string_view key) {
  const auto value = number(lot, key);
  return value ? money(*value, text(lot, "currency", "")) : "-";
}
std::string when(dom::element object, std::string_view key) {
  const auto value = number(object, key);
  return value ? local_time(*value) : "-";
}
std::string in_how_long(std::int64_t at_ms, std::int64_t now_ms) {
  return at_ms > now_ms ? " (in " + duration_text((at_ms - now_ms) / 1'000 * 1'000) + ")" : "";
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int print_reply(Session& session, const Reply& reply, const std::function<void()>& for_people) {
  if (session.json()) {
    print_json(reply.root);
  } else {
    for_people();
  }
  return 0;
}

}  // namespace auctionctl
