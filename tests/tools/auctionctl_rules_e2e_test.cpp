// auctionctl and the rules of SPEC §4.1-4.2 (§8): --increments and --no-max-bids on create, the
// same keys in catalogues, `lots show` printing the table; every bad table refused with the
// field named and nothing created.
#include <doctest/doctest.h>

#include <fstream>

#include "../persistence/temp_dir.h"
#include "auctionctl_support.h"
#include "catalogue_support.h"

using namespace auction;
using namespace auction::testing;

namespace {

// A lot's table as the flag writes it ("0:500,10000:1000"; "" when it has none).
std::string bands(dom::element lot) {
  dom::array table;
  if (lot["increments"].get(table) != simdjson::SUCCESS) return "";
  std::string out;
  for (const dom::element band : table) {
    out += (out.empty() ? "" : ",") + std::to_string(band.at(0).get_int64().value()) + ":" +
           std::to_string(band.at(1).get_int64().value());
  }
  return out;
}

}  // namespace

TEST_CASE("lots create --increments and --no-max-bids: the table shown, maximum bids refused") {
  Auctiond server;
  ok(ctl(server, create_args("table", {{"--increment", ""},
                                       {"--increments", "0:500,10000:1000"},
                                       {"--start-price", "9000"}})));
  const Message shown = json(ctl(server, {"lots", "show", "table", "--json"}));
  CHECK(shown.num("increment") == 500);  // the table's at the start price
  CHECK(bands(shown.root()) == "0:500,10000:1000");
  CHECK(boolean(shown.root(), "max_bids") == "true");
  const Run table = ok(ctl(server, {"lots", "show", "table"}));
  CHECK_MESSAGE(contains(table.out, "5.00 EUR from 0.00 EUR, 10.00 EUR from 100.00 EUR"),
                describe(table));

  std::vector<std::string> args = create_args("nomax");
  args.push_back("--no-max-bids");
  ok(ctl(server, args));
  const Message nomax = json(ctl(server, {"lots", "show", "nomax", "--json"}));
  CHECK(boolean(nomax.root(), "max_bids") == "false");
  CHECK(bands(nomax.root()).empty());
  CHECK_MESSAGE(contains(ok(ctl(server, {"lots", "show", "nomax"})).out, "not allowed"),
                "lots show says maximum bids are not allowed");
}

TEST_CASE("bad increment tables on the command line exit 2 naming --increments, nothing created") {
  Auctiond server;
  std::string many = "0:1";
  for (int i = 1; i <= 32; ++i)
    many += "," + std::to_string(i * 100) + ":1";
  for (const std::string& bad :
       {std::string("0:500,0:100"), std::string("100:5"), std::string("0:0"), std::string("0:5.5"),
        std::string("0-500"), std::string("0:500,x:1"), many}) {
    CAPTURE(bad);
    const Run run = ctl(server, create_args("bad", {{"--increment", ""}, {"--increments", bad}}));
    check_error(run, 2);
    CHECK_MESSAGE(contains(run.err, "--increments"), describe(run));
    CHECK_FALSE(lot_exists(server, "bad"));
  }
  const Run neither = ctl(server, create_args("bad", {{"--increment", ""}}));
  check_error(neither, 2);
  CHECK_MESSAGE(contains(neither.err, "--increments"), describe(neither));
  CHECK_FALSE(lot_exists(server, "bad"));
}

TEST_CASE("catalogues: increments and max_bids keys, and a bad table refused by line and field") {
  Auctiond server;
  TempDir dir;
  const std::string sale = R"(starts_at = "now+1h"
seller = "gallery"
currency = "EUR"
timed = "5m"
extension = "30s"

[[lots]]
id = "cat-table"
title = "Table lot"
start_price = 1000
increments = [[0, 100], [5000, 500]]
max_bids = false
)";
  write_file(dir.sub("sale.toml"), sale);
  ok(ctl(server, {"lots", "import", dir.sub("sale.toml")}));
  const Message lot = json(ctl(server, {"lots", "show", "cat-table", "--json"}));
  CHECK(bands(lot.root()) == "0:100,5000:500");
  CHECK(boolean(lot.root(), "max_bids") == "false");
  CHECK(lot.num("increment") == 100);

  for (const std::string& bad : {std::string("[[0, 5.5]]"), std::string("[[10, 100]]"),
                                 std::string("[[0, 100], [0, 50]]"), std::string("\"0:100\"")}) {
    CAPTURE(bad);
    std::string toml = sale;
    toml.replace(toml.find("cat-table"), 9, "cat-bad");
    toml.replace(toml.find("[[0, 100], [5000, 500]]"), 23, bad);
    write_file(dir.sub("bad.toml"), toml);
    const Run run = ctl(server, {"lots", "import", dir.sub("bad.toml")});
    check_error(run, 2);
    CHECK_MESSAGE(contains(run.err, "bad.toml:11:"), describe(run));  // the increments line
    CHECK_MESSAGE(contains(run.err, "increments"), describe(run));
    CHECK_FALSE(lot_exists(server, "cat-bad"));
  }
}
