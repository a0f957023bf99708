#include "command_line.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "output.h"
#include "session.h"

namespace auctionctl {

namespace dom = simdjson::dom;

// A replicated shard's nodes (SPEC §11), after `status`: role, journal seq and how far behind
// the furthest node each one is.
void print_shard(dom::element root) {
  dom::element shard;
  if (root["shard"].get(shard) != simdjson::SUCCESS) return;
  std::printf("\nshard %s: this is %s (%s), leader %s\n", text(shard, "shard").c_str(),
              text(shard, "node").c_str(), text(shard, "role").c_str(),
              text(shard, "leader").c_str());
  dom::object nodes;
  if (shard["nodes"].get(nodes) != simdjson::SUCCESS) return;
  std::int64_t furthest = 0;
  for (const auto field : nodes)
    furthest = std::max(furthest, number(field.value, "journal_seq").value_or(0));
  Table table({"NODE", "ROLE", "JOURNAL SEQ", "LAG", "BIDDER PAGE", "ADMIN"});
  for (const auto field : nodes) {
    const std::int64_t seq = number(field.value, "journal_seq").value_or(0);
    table.add({std::string(field.key), text(field.value, "role"), std::to_string(seq),
               std::to_string(furthest - seq), text(field.value, "bidder_url"),
               text(field.value, "admin_url")});
  }
  table.print();
}

// The subcommand closest to a mistyped one (at most two edits away), for "did you mean".
namespace {

std::string nearest(const std::string& typed, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_distance = 3;
  for (const std::string& name : names) {
    std::vector<std::size_t> row(name.size() + 1);
    for (std::size_t j = 0; j <= name.size(); ++j)
      row[j] = j;
    for (std::size_t i = 1; i <= typed.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= name.size(); ++j) {
        const std::size_t above = row[j];
        row[j] = std::min(
            {row[j] + 1, row[j - 1] + 1, diagonal + (typed[i - 1] == name[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    if (row[name.size()] < best_distance) {
      best_distance = row[name.size()];
      best = name;
    }
  }
  return best;
}

}  // namespace

// The first word of the command line that names no subcommand where one is expected (options
// and their values skipped), with its suggestion: "unknown command "creat" (did you mean
// "create"?)". Empty when every word is known.
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  CLI::App* at = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.starts_with("-")) {
      const CLI::Option* option = at->get_option_no_throw(word.substr(0, word.find('=')));
      if (option == nullptr) option = app.get_option_no_throw(word.substr(0, word.find('=')));
      if (option != nullptr && option->get_items_expected_max() > 0 &&
          word.find('=') == std::string::npos) {
        ++i;  // its value
      }
      continue;
    }
    std::vector<std::string> names;
    for (const CLI::App* sub : at->get_subcommands({}))
      names.push_back(sub->get_name());
    if (names.empty()) return {};  // a command's own arguments from here on
    CLI::App* next = nullptr;
    for (CLI::App* sub : at->get_subcommands({})) {
      if (sub->get_name() == word) next = sub;
    }
    if (next == nullptr) {
      const std::string near = nearest(word, names);
      return "unknown command \"" + word + "\"" +
             (near.empty() ? std::string() : " (did you mean \"" + near + "\"?)");
    }
    at = next;
  }
  return {};
}

}  // namespace auctionctl
