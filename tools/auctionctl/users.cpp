#include "users.h"

#include <cstdio>

#include "output.h"
#include "values.h"

namespace auctionctl {
namespace {

namespace dom = simdjson::dom;

CLI::App* subcommand(CLI::App& parent, const char* name, const char* help) {
  CLI::App* sub = parent.add_subcommand(name, help);
  sub->fallthrough();
  return sub;
}

// A new token, shown once.
int print_token(Session& session, const Reply& reply) {
  return print_reply(session, reply, [&] {
    print_fields({{"user", text(reply.root, "user")},
                  {"role", text(reply.root, "role")},
                  {"token", text(reply.root, "token")}});
    std::printf("The token is shown only now: auctiond keeps just its hash.\n");
  });
}

}  // namespace

// The callbacks outlive this function: they capture only what the caller owns (`session`,
// `args`, `action`), never a local.
void add_user_commands(CLI::App& app, Session& session, UserArgs& args,
                       std::function<int()>& action) {
  CLI::App* users =
      subcommand(app, "users", "bidders and sellers: tokens, revocation, waivers, priority rights");
  users->require_subcommand(1);

  CLI::App* users_add = subcommand(*users, "add", "add a user and print a new login token");
  users_add->add_option("name", args.user, "user id")->required();
  users_add->add_option("--role", args.role, "bidder or seller")
      ->check(CLI::IsMember({"bidder", "seller"}));
  users_add->callback([&] {
    action = [&] {
      Reply reply;
      const std::string body =
          "{\"user\":" + json_string(args.user) + ",\"role\":" + json_string(args.role) + "}";
      const auto explain = [&](const std::string& code, const std::string& message,
                               const std::string&, std::optional<std::size_t>) {
        return message + " (" + code + ")" +
               (code == "user_exists" ? "; a new token: auctionctl users token " + args.user : "");
      };
      if (int code = session.call("POST", "/v1/users", body, reply, explain)) return code;
      return print_token(session, reply);
    };
  });
  CLI::App* users_token =
      subcommand(*users, "token", "issue a new token (the old one stops working)");
  users_token->add_option("name", args.user, "user id")->required();
  users_token->callback([&] {
    action = [&] {
      Reply reply;
      if (int code = session.call("POST", "/v1/users/" + args.user + "/token", "", reply))
        return code;
      return print_token(session, reply);
    };
  });
  CLI::App* users_revoke =
      subcommand(*users, "revoke", "revoke a user's token and close their live sessions");
  users_revoke->add_option("name", args.user, "user id")->required();
  users_revoke->callback([&] {
    action = [&] {
      Reply reply;
      if (int code = session.call("POST", "/v1/users/" + args.user + "/revoke", "", reply))
        return code;
      return print_reply(session, reply, [&] {
        std::printf("revoked %s (live sessions closed)\n", args.user.c_str());
      });
    };
  });
  subcommand(*users, "list", "list users")->callback([&] {
    action = [&] {
      Reply reply;
      if (int code = session.call("GET", "/v1/users", "", reply)) return code;
      return print_reply(session, reply, [&] {
        Table table({"USER", "ROLE", "STATUS"});
        for (const dom::element entry : reply.root["users"].get_array()) {
          table.add({text(entry, "user"), text(entry, "role"),
                     entry["revoked"].get_bool().value_unsafe() ? "revoked" : "active"});
        }
        table.print();
      });
    };
  });
  CLI::App* users_qualify =
      subcommand(*users, "qualify", "let a bidder bid on a deposit lot without a deposit (waiver)");
  users_qualify->add_option("name", args.user, "bidder's user id")->required();
  users_qualify->add_option("--lot", args.lot, "the lot")->required();
  users_qualify->callback([&] {
    action = [&] {
      Reply reply;
      if (int code = session.call("POST", "/v1/lots/" + args.lot + "/qualify",
                                  "{\"bidder\":" + json_string(args.user) + "}", reply)) {
        return code;
      }
      return print_reply(session, reply, [&] {
        std::printf("qualified %s for lot %s (deposit waived), seq %lld\n", args.user.c_str(),
                    args.lot.c_str(),
                    static_cast<long long>(number(reply.root, "seq").value_or(0)));
      });
    };
  });

  CLI::App* users_priority = subcommand(
      *users, "priority", "grant a bidder a priority right on a scheduled lot (SPEC 4.3)");
  users_priority->add_option("name", args.user, "bidder's user id")->required();
  users_priority->add_option("--lot", args.lot, "the lot (still scheduled)")->required();
  users_priority->add_option("--rank", args.rank, "1 = first order; the lower rank wins a tie")
      ->required()
      ->check(CLI::Range(1, 99));
  users_priority->callback([&] {
    action = [&] {
      Reply reply;
      const std::string body =
          "{\"bidder\":" + json_string(args.user) + ",\"rank\":" + std::to_string(args.rank) + "}";
      if (int code = session.call("POST", "/v1/lots/" + args.lot + "/priority", body, reply)) {
        return code;
      }
      return print_reply(session, reply, [&] {
        std::printf("%s holds a priority right of rank %d on lot %s: it may match the best bid\n",
                    args.user.c_str(), args.rank, args.lot.c_str());
      });
    };
  });
}

}  // namespace auctionctl
