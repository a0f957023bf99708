// auctionctl: the auctioneer's command line for auctiond's admin interface.
//
//   auctionctl [--data-dir DIR | --server URL --token-file FILE] [--json] COMMAND ...
//
// docs/AUCTIONCTL.md is the manual: commands, values, catalogue files, exit codes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>

#include "admin_client.h"
#include "catalogue.h"
#include "command_line.h"
#include "lot_input.h"
#include "money.h"
#include "output.h"
#include "session.h"
#include "users.h"
#include "values.h"

namespace auctionctl {
namespace {

namespace dom = simdjson::dom;

// ---------------------------------------------------------------------------------------------
// Lots.

struct LotFlags {
  std::map<std::string, std::string> values;  // field → text, for the flags given
  std::string id;                             // `lots edit LOT`
};

void add_lot_flags(CLI::App& command, LotFlags& flags, bool create) {
  struct Flag {
    const char* field;
    const char* name;
    const char* help;
    bool required;
  };
  const Flag all[] = {
      {"id", "--id", "lot id: 1-32 of A-Z a-z 0-9 _ -", true},
      {"title", "--title", "text shown to bidders (1-200 bytes)", true},
      {"seller", "--seller", "user id of the seller", true},
      {"currency", "--currency", "ISO 4217 code, e.g. EUR", true},
      {"start_price", "--start-price", "first admissible bid, minor units (10000 = 100.00)", true},
      {"increment", "--increment", "minimum raise, minor units (or --increments)", false},
      {"increments", "--increments",
       "increment table: FROM:INCREMENT,... in minor units, e.g. 0:500,10000:1000", false},
      {"reserve", "--reserve", "lowest selling price, minor units (default: the start price)",
       false},
      {"deposit", "--deposit", "deposit a bidder must hold, minor units (default 0 = none)", false},
      {"starts_at", "--starts-at", "now, now+5m or ISO 8601 (default now)", false},
      {"timed", "--timed", "length of the timed phase: 1500ms, 30s, 5m, 2h, 1d or 0", true},
      {"extension", "--extension", "extension countdown after each late bid (0 = hard close)",
       true},
      {"latest_close_at", "--latest-close-at", "hard cap: now+DURATION or ISO 8601", false},
  };
  for (const Flag& flag : all) {
    if (!create && std::string_view(flag.field) == "id") continue;
    CLI::Option* option = command.add_option_function<std::string>(
        flag.name,
        [&flags, field = std::string(flag.field)](const std::string& value) {
          flags.values[field] = value;
        },
        flag.help);
    if (create && flag.required) option->required();
  }
  command.add_flag_callback(
      "--no-max-bids", [&flags] { flags.values["max_bids"] = "false"; },
      "bidders may not leave a maximum (proxy) bid on this lot");
}

// The lots of a reply as a table (list, import, create).
// `phase`, when not empty, keeps only the lots in that phase.
// A closed lot's outcome for people: "sold to bob", "unsold", "cancelled"; "-" while open.
std::string outcome_text(dom::element lot) {
  const std::string outcome = text(lot, "outcome");
  return outcome == "sold" ? "sold to " + text(lot, "winner") : outcome;
}

void print_lot_table(dom::array lots, const std::string& phase = {}) {
  const std::int64_t now_ms = wall_ms();
  Table table(
      {"LOT", "TITLE", "PHASE", "PRICE", "BIDS", "LEADER", "STARTS", "DEADLINE", "OUTCOME"});
  for (const dom::element lot : lots) {
    if (!phase.empty() && text(lot, "phase") != phase) continue;
    std::string title = text(lot, "title");
    if (title.size() > 32) title = title.substr(0, 29) + "...";
    const auto deadline = number(lot, "deadline_ms");
    table.add({text(lot, "lot"), title, text(lot, "phase"),
               number(lot, "price") ? amount(lot, "price") : "-",
               std::to_string(number(lot, "bids").value_or(0)), text(lot, "leader"),
               when(lot, "starts_at_ms"),
               deadline ? local_time(*deadline) + in_how_long(*deadline, now_ms) : "-",
               outcome_text(lot)});
  }
  table.print();
}

// "1.00" for one increment, or the table: "5.00 from 0.00, 10.00 from 100.00".
std::string increments_text(dom::element lot) {
  dom::array bands;
  if (lot["increments"].get(bands) != simdjson::SUCCESS) return amount(lot, "increment");
  const std::string currency = text(lot, "currency", "");
  std::string out;
  for (const dom::element band : bands) {
    dom::array pair;
    if (band.get(pair) != simdjson::SUCCESS || pair.size() != 2) continue;
    std::int64_t from = 0, step = 0;
    if (pair.at(0).get(from) != simdjson::SUCCESS || pair.at(1).get(step) != simdjson::SUCCESS) {
      continue;
    }
    out += (out.empty() ? "" : ", ") + money(step, currency) + " from " + money(from, currency);
  }
  return out;
}

std::string max_bids_text(dom::element lot) {
  bool allowed = true;  // absent from older servers: allowed
  if (lot["max_bids"].get(allowed) != simdjson::SUCCESS) allowed = true;
  return allowed ? "allowed" : "not allowed";
}

// The countdown: frozen while paused (SPEC §3), running while timed or in extension.
std::string time_left_text(dom::element lot, std::optional<std::int64_t> deadline,
                           std::int64_t now_ms) {
  if (const auto frozen = number(lot, "paused_remaining_ms")) {
    return elapsed_text(*frozen) + " (frozen while paused)";
  }
  const std::string phase = text(lot, "phase");
  if (deadline && (phase == "timed" || phase == "extension")) {
    return elapsed_text(std::max<std::int64_t>(0, *deadline - now_ms));
  }
  return "-";
}

// SPEC §4.3's grants as "tenant (rank 1), coowner (rank 2)".
std::string priority_text(dom::element lot) {
  dom::array grants;
  if (lot["priority"].get(grants) != simdjson::SUCCESS || grants.size() == 0) return "none";
  std::string out;
  for (const dom::element grant : grants) {
    out += (out.empty() ? "" : ", ") + text(grant, "bidder") + " (rank " +
           std::to_string(number(grant, "rank").value_or(0)) + ")";
  }
  return out;
}

void print_lot(dom::element lot) {
  const std::int64_t now_ms = wall_ms();
  const auto deadline = number(lot, "deadline_ms");
  const auto cap = number(lot, "latest_close_at_ms");
  std::vector<std::pair<std::string, std::string>> fields = {
      {"lot", text(lot, "lot")},
      {"title", text(lot, "title")},
      {"seller", text(lot, "seller")},
      {"phase", text(lot, "phase")},
      {"price", number(lot, "price") ? amount(lot, "price") : "- (no bid yet)"},
      {"leader", text(lot, "leader")},
      {"deadline", deadline ? local_time(*deadline) + in_how_long(*deadline, now_ms) : "-"},
      {"time left", time_left_text(lot, deadline, now_ms)},
      {"bids", std::to_string(number(lot, "bids").value_or(0))},
      {"min next bid", number(lot, "min_next") ? amount(lot, "min_next") : "-"},
      {"reserve", amount(lot, "reserve") +
                      (lot["reserve_met"].get_bool().value_unsafe() ? " (met)" : " (not met)")},
      {"start price", amount(lot, "start_price")},
      {"increment", increments_text(lot)},
      {"maximum bids", max_bids_text(lot)},
      {"priority purchasers", priority_text(lot)},
      {"deposit", number(lot, "deposit").value_or(0) == 0 ? "none" : amount(lot, "deposit")},
      {"starts at", when(lot, "starts_at_ms")},
      {"timed phase", duration_text(number(lot, "timed_ms").value_or(0))},
      {"extension", duration_text(number(lot, "extension_ms").value_or(0))},
      {"latest close", cap ? local_time(*cap) : "none"},
      {"seq", std::to_string(number(lot, "seq").value_or(0))},
  };
  if (text(lot, "outcome") != "-") {
    fields.push_back(
        {"outcome",
         text(lot, "outcome") + (text(lot, "winner") != "-" ? " to " + text(lot, "winner") : "")});
    fields.push_back({"closed at", when(lot, "closed_at_ms")});
  }
  print_fields(fields);
  dom::array bids;
  if (lot["recent_bids"].get(bids) == simdjson::SUCCESS && bids.size() > 0) {
    std::printf("\nrecent bids (newest first)\n");
    Table table({"SEQ", "TIME", "BIDDER", "AMOUNT"});
    for (const dom::element bid : bids) {
      const auto value = number(bid, "amount");
      table.add({std::to_string(number(bid, "seq").value_or(0)), when(bid, "ts_ms"),
                 text(bid, "bidder"), value ? money(*value, text(lot, "currency", "")) : "-"});
    }
    table.print();
  }
}

std::string target_of_lot(const std::string& lot, const std::string& action = {}) {
  return "/v1/lots/" + lot + (action.empty() ? "" : "/" + action);
}

// Parses `flags` into the API's JSON, or prints the first problem (exit code in `code`).
std::optional<std::string> lot_json(const LotFlags& flags, int& code) {
  LotInput input;
  for (const auto& [field, value] : flags.values) {
    if (auto bad = input.add(field, value)) {
      std::string flag = "--" + field;
      std::replace(flag.begin(), flag.end(), '_', '-');  // start_price → --start-price
      code = fail(kBadInput, flag + ": " + *bad);
      return std::nullopt;
    }
  }
  return input.json();
}

// ---------------------------------------------------------------------------------------------

int run(int argc, char** argv) {
  Options options;
  CLI::App app{"auctionctl: configure and run auctions on auctiond (admin interface)",
               "auctionctl"};
  app.footer(
      "Exit codes: 0 done, 1 refused by the server, 2 bad usage or input (nothing sent),\n"
      "3 server unreachable or command not applied, 4 admin token refused.\n"
      "The server is found through --data-dir (its admin.url and admin.token). Manual: "
      "docs/AUCTIONCTL.md");
  app.add_option("--data-dir", options.data_dir,
                 "the server's data directory (default $AUCTION_DATA_DIR or auction-data)");
  app.add_option("--server", options.server, "admin URL http://HOST:PORT (or $AUCTION_ADMIN_URL)");
  app.add_option(
      "--token-file", options.token_file,
      "file with the admin token (or $AUCTION_ADMIN_TOKEN; default DATA_DIR/admin.token)");
  app.add_flag("--json", options.json, "print JSON instead of tables");
  app.add_option("--timeout-ms", options.timeout_ms, "give up on the server after this long")
      ->check(CLI::Range(1, 3'600'000));
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("auctionctl ") + AUCTION_VERSION);

  Session session(options);
  std::function<int()> action;
  std::string lot;
  const auto command = [&](CLI::App& parent, const char* name, const char* help) {
    CLI::App* sub = parent.add_subcommand(name, help);
    sub->fallthrough();
    return sub;
  };

  // status
  command(app, "status", "the server's clock, durable sequence number, lots and subscribers")
      ->callback([&] {
        action = [&] {
          Reply reply;
          if (int code = session.call("GET", "/v1/status", "", reply)) return code;
          return print_reply(session, reply, [&] {
            print_fields(
                {{"server time", when(reply.root, "now_ms")},
                 {"durable seq", std::to_string(number(reply.root, "durable_seq").value_or(0))},
                 {"lots", std::to_string(number(reply.root, "lots").value_or(0))},
                 {"subscribers", std::to_string(number(reply.root, "subscribers").value_or(0))}});
            print_shard(reply.root);
          });
        };
      });

  UserArgs user_args;
  add_user_commands(app, session, user_args, action);

  // lots
  CLI::App* lots = command(app, "lots", "create, import, edit, list, show, pause, resume, cancel");
  lots->require_subcommand(1);
  LotFlags create_flags, edit_flags;
  CLI::App* lots_create = command(*lots, "create", "create one lot from flags");
  add_lot_flags(*lots_create, create_flags, true);
  lots_create->callback([&] {
    action = [&] {
      int code = 0;
      if (!create_flags.values.count("starts_at")) create_flags.values["starts_at"] = "now";
      if (!create_flags.values.count("increment") && !create_flags.values.count("increments")) {
        return fail(kBadInput, "give --increment, or --increments for a table");
      }
      const auto json = lot_json(create_flags, code);
      if (!json) return code;
      Reply reply;
      if ((code = session.call("POST", "/v1/lots", "{\"lots\":[" + *json + "]}", reply))) {
        return code;
      }
      return print_reply(session, reply, [&] {
        std::printf("created lot %s (seq %lld)\n", create_flags.values["id"].c_str(),
                    static_cast<long long>(number(reply.root, "seq").value_or(0)));
      });
    };
  });

  std::string catalogue_path;
  bool dry_run = false;
  CLI::App* lots_import = command(
      *lots, "import", "create every lot of a TOML catalogue, or none (docs/AUCTIONCTL.md)");
  lots_import->add_option("file", catalogue_path, "catalogue file (TOML)")->required();
  lots_import->add_flag("--dry-run", dry_run,
                        "the server checks everything (ids, sellers, times) and creates nothing");
  lots_import->callback([&] {
    action = [&] {
      CatalogueFile catalogue;
      if (auto bad = load_catalogue(catalogue_path, catalogue)) return fail(kBadInput, *bad);
      Reply reply;
      const auto explain = [&](const std::string& code, const std::string& message,
                               const std::string& field, std::optional<std::size_t> index) {
        return catalogue.locate(
            index, field,
            message + " (" + code + "); nothing " + (dry_run ? "would be created" : "was created"));
      };
      const std::string target = dry_run ? "/v1/lots?dry_run=true" : "/v1/lots";
      if (int code = session.call("POST", target, catalogue.body, reply, explain)) return code;
      return print_reply(session, reply, [&] {
        if (dry_run) {
          std::printf(
              "%s: the server checked %zu lots; the import would create them (nothing "
              "created, --dry-run):\n",
              catalogue_path.c_str(), catalogue.lots.size());
        } else {
          std::printf("created %zu lots (seq %lld):\n", catalogue.lots.size(),
                      static_cast<long long>(number(reply.root, "seq").value_or(0)));
        }
        print_lot_table(reply.root["lots"].get_array());
      });
    };
  });

  CLI::App* lots_edit = command(*lots, "edit", "change a scheduled lot (only the flags given)");
  lots_edit->add_option("lot", edit_flags.id, "lot id")->required();
  add_lot_flags(*lots_edit, edit_flags, false);
  lots_edit->callback([&] {
    action = [&] {
      if (edit_flags.values.empty())
        return fail(kBadInput, "nothing to change: give a flag such as --title");
      int code = 0;
      const auto json = lot_json(edit_flags, code);
      if (!json) return code;
      Reply reply;
      if ((code = session.call("PATCH", target_of_lot(edit_flags.id), *json, reply))) return code;
      return print_reply(session, reply, [&] {
        std::printf("edited lot %s (seq %lld)\n", edit_flags.id.c_str(),
                    static_cast<long long>(number(reply.root, "seq").value_or(0)));
      });
    };
  });

  std::string phase;
  CLI::App* lots_list = command(*lots, "list", "every lot with its phase, price and deadline");
  lots_list->add_option("--phase", phase, "only lots in this phase")
      ->check(CLI::IsMember({"scheduled", "timed", "extension", "paused", "closed", "cancelled"}));
  lots_list->callback([&] {
    action = [&] {
      Reply reply;
      if (int code = session.call("GET", "/v1/lots", "", reply)) return code;
      // --phase filters the table for people; the JSON is the whole list, for scripts.
      return print_reply(session, reply,
                         [&] { print_lot_table(reply.root["lots"].get_array(), phase); });
    };
  });

  CLI::App* lots_show = command(*lots, "show", "a lot's state, configuration and recent bids");
  lots_show->add_option("lot", lot, "lot id")->required();
  lots_show->callback([&] {
    action = [&] {
      Reply reply;
      if (int code = session.call("GET", target_of_lot(lot), "", reply)) return code;
      return print_reply(session, reply, [&] { print_lot(reply.root); });
    };
  });

  for (const auto& [name, past, help] :
       {std::tuple<const char*, const char*, const char*>{
            "pause", "paused", "freeze a running lot's countdown; bids are refused"},
        {"resume", "resumed", "restart a paused lot's countdown where it stopped"},
        {"cancel", "cancelled", "end a lot without a winner (deposits are released)"}}) {
    CLI::App* sub = command(*lots, name, help);
    sub->add_option("lot", lot, "lot id")->required();
    sub->callback([&, verb = std::string(name), done = std::string(past)] {
      action = [&, verb, done] {
        Reply reply;
        if (int code = session.call("POST", target_of_lot(lot, verb), "", reply)) return code;
        return print_reply(session, reply, [&] {
          std::printf("%s lot %s: now %s\n", done.c_str(), lot.c_str(),
                      text(reply.root, "phase").c_str());
        });
      };
    });
  }

  CLI::App* lots_confirmation =
      command(*lots, "confirmation", "a sold lot's transaction confirmation (SPEC §5)");
  lots_confirmation->add_option("lot", lot, "lot id")->required();
  lots_confirmation->callback([&] {
    action = [&] {
      Reply reply;
      if (int code = session.call("GET", target_of_lot(lot, "confirmation"), "", reply)) {
        return code;
      }
      return print_reply(session, reply, [&] {
        const dom::element c = reply.root;
        std::printf("Transaction confirmation\n");
        print_fields(
            {{"  lot", text(c, "lot") + " - " + text(c, "title")},
             {"  seller", text(c, "seller")},
             {"  winner", text(c, "winner")},
             {"  price", amount(c, "price") + " (" +
                             std::to_string(number(c, "price").value_or(0)) + " minor units)"},
             {"  closed at", when(c, "closed_at_ms")},
             {"  sequence", std::to_string(number(c, "seq").value_or(0))},
             {"  journal digest", text(c, "journal_digest")}});
        if (const auto rank = number(c, "priority_rank")) {
          std::printf("The winner bought under a priority right (rank %lld, SPEC 4.3).\n",
                      static_cast<long long>(*rank));
        }
        std::printf(
            "The digest is the journal's SHA-256 chain up to the close: anyone with the "
            "journal can recompute it.\n");
      });
    };
  });

  MoneyArgs money_args;
  add_money_commands(app, session, money_args, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string unknown = unknown_command(app, argc, argv);
    return fail(kBadInput, (unknown.empty() ? std::string(e.what()) : unknown) + " (see --help)");
  }
  std::vector<const std::string*> ids;
  for (const std::string* id : {&user_args.user, &user_args.lot, &lot, &edit_flags.id}) {
    if (!id->empty()) ids.push_back(id);
  }
  for (const std::string* id : money_args.ids())
    ids.push_back(id);
  session.check_ids(std::move(ids));
  return action ? action() : fail(kBadInput, "no command given (see --help)");
}

}  // namespace
}  // namespace auctionctl

int main(int argc, char** argv) {
  return auctionctl::run(argc, argv);
}
