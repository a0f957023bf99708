// auctionctl's catalogue files end to end (SPEC §8, docs/AUCTIONCTL.md): an import creates every
// lot or none, a dry run asks the server to check everything and creates nothing, and every
// refusal names the file, the line and the field. A lot's seller must be an account with the
// seller role.
#include <doctest/doctest.h>

#include <map>

#include "catalogue_support.h"

using namespace auction::testing;

TEST_CASE("lots import creates a staggered catalogue, and --dry-run creates nothing") {
  Auctiond server;
  TempDir dir;
  write_file(dir.sub("sale.toml"),
             std::string(kSale) + lot_table("cat-a") + lot_table("cat-b") + lot_table("cat-c"));
  const Message imported = json(ctl(server, {"lots", "import", dir.sub("sale.toml"), "--json"}));
  CHECK(items(imported.root(), "lots").size() == 3);

  const Message listed = json(ctl(server, {"lots", "list", "--json"}));
  const std::vector<dom::element> lots = items(listed.root(), "lots");
  std::map<std::string, std::int64_t> starts;
  for (const char* id : {"cat-a", "cat-b", "cat-c"}) {
    const auto lot = find_by(lots, "lot", id);
    REQUIRE_MESSAGE(lot.has_value(), id);
    CHECK(text(*lot, "phase") == "scheduled");
    CHECK(integer(*lot, "increment") == 500);  // sale-wide values apply to every lot
    starts[id] = integer(*lot, "starts_at_ms");
  }
  CHECK(starts["cat-b"] - starts["cat-a"] == 120'000);
  CHECK(starts["cat-c"] - starts["cat-a"] == 240'000);
  CHECK(starts["cat-a"] > now_ms() + 3'500'000);  // now+1h

  write_file(dir.sub("rehearsal.toml"),
             std::string(kSale) + lot_table("dry-a") + lot_table("dry-b"));
  ok(ctl(server, {"lots", "import", dir.sub("rehearsal.toml"), "--dry-run"}));
  const std::set<std::string> ids = lot_ids(server);
  CHECK(ids.count("dry-a") == 0);
  CHECK(ids.count("dry-b") == 0);
}

TEST_CASE("catalogue errors stay on one line whatever the TOML holds (fuzzer findings)") {
  // tests/fuzz/corpus/fuzz_catalogue/regression-newline-in-toml-error.toml: toml++ says
  // "expected 'inf', saw 'i<line break>'", which used to split auctionctl's error in two.
  Auctiond server;
  TempDir dir;
  write_file(dir.sub("broken.toml"), "start_price =i\n00 05ncrement = 250\n");
  const Run refused = ctl(server, {"lots", "import", dir.sub("broken.toml"), "--dry-run"});
  check_error(refused, 2);
  CHECK_MESSAGE(refused.err.find(dir.sub("broken.toml") + ":1: ") != std::string::npos,
                describe(refused));
  CHECK_MESSAGE(refused.err.find("saw 'i\\n'") != std::string::npos, describe(refused));
  // A table where a value belongs was printed whole, over several lines.
  write_file(dir.sub("table.toml"), "[seller]\nid = \"x\"\nstart_price = 5000\n");
  const Run table = ctl(server, {"lots", "import", dir.sub("table.toml"), "--dry-run"});
  check_error(table, 2);
  CHECK_MESSAGE(table.err.find("seller: must be a string, not a table") != std::string::npos,
                describe(table));
  // regression-id-with-line-break.toml: an id holding a TOML "\n" was quoted as written.
  write_file(dir.sub("id.toml"), std::string(kSale) + lot_table("ok-1") + lot_table("pr\\nt"));
  const Run id = ctl(server, {"lots", "import", dir.sub("id.toml"), "--dry-run"});
  check_error(id, 2);
  CHECK_MESSAGE(id.err.find("lot 2 \"pr\\nt\": id: bad id \"pr\\nt\"") != std::string::npos,
                describe(id));
}

TEST_CASE("lots import refuses a bad catalogue whole, naming the file, line and field") {
  Auctiond server;
  TempDir dir;

  const std::string fraction = std::string(kSale) + lot_table("inc-a") +
                               lot_table("inc-b",
                                         "title = \"B\"\nstart_price = 1000\n"
                                         "increment = 5.5\n");
  const int fraction_line = line_of(fraction, "increment = 5.5");
  check_catalogue_refused(server, dir, "fraction.toml", fraction,
                          {2, fraction_line, fraction_line, "increment"}, {"inc-a", "inc-b"});

  const std::string typo = std::string(kSale) + lot_table("typo-a") +
                           lot_table("typo-b",
                                     "title = \"B\"\nstart_price = 1000\n"
                                     "incremnt = 5\n");
  const int typo_line = line_of(typo, "incremnt = 5");
  check_catalogue_refused(server, dir, "typo.toml", typo, {2, typo_line, typo_line, "incremnt"},
                          {"typo-a", "typo-b"});

  const std::string syntax = std::string(kSale) + lot_table("syn-a") +
                             lot_table("syn-b", "title = \"unterminated\nstart_price = 1000\n");
  const int syntax_line = line_of(syntax, "title = \"unterminated");
  // A parser's error need not name a field; the file and line are what matter.
  check_catalogue_refused(server, dir, "syntax.toml", syntax, {2, syntax_line, syntax_line, ""},
                          {"syn-a", "syn-b"});

  const std::string untitled =
      std::string(kSale) + lot_table("mt-a") + lot_table("mt-b", "start_price = 1000\n");
  check_catalogue_refused(
      server, dir, "untitled.toml", untitled,
      {2, line_of(untitled, "[[lots]]\nid = \"mt-b\""), line_count(untitled), "title"},
      {"mt-a", "mt-b"});

  // Valid here, refused by the server (demo lot "lamp" exists): auctionctl still names the
  // file and the lot's place in it, and the catalogue's first lot was not created either.
  const std::string taken = std::string(kSale) + lot_table("dup-a") + lot_table("lamp");
  check_catalogue_refused(server, dir, "taken.toml", taken,
                          {1, line_of(taken, "[[lots]]\nid = \"lamp\""), line_count(taken), "lamp"},
                          {"dup-a"});
  CHECK(json(ctl(server, {"lots", "show", "lamp", "--json"})).str("title") ==
        "Art deco table lamp");  // the demo lot is untouched
}

TEST_CASE("lots import --dry-run: the server checks everything, creates nothing, and says so") {
  Auctiond server;
  TempDir dir;
  write_file(dir.sub("rehearsal.toml"),
             std::string(kSale) + lot_table("dry-a") + lot_table("dry-b"));
  const Run rehearsal = ok(ctl(server, {"lots", "import", dir.sub("rehearsal.toml"), "--dry-run"}));
  CHECK_MESSAGE(contains(rehearsal.out, "the server checked 2 lots"), describe(rehearsal));
  CHECK_MESSAGE(has_line_with(rehearsal.out, {"dry-a", "scheduled"}), describe(rehearsal));
  const Message checked =
      json(ctl(server, {"lots", "import", dir.sub("rehearsal.toml"), "--dry-run", "--json"}));
  CHECK(boolean(checked.root(), "dry_run") == "true");
  CHECK(items(checked.root(), "lots").size() == 2);
  CHECK_FALSE(lot_exists(server, "dry-a"));
  CHECK_FALSE(lot_exists(server, "dry-b"));

  // What only the server knows: an id that exists (the demo's "lamp"), a seller without the
  // seller role. The dry run names them as the import would, and creates nothing.
  const std::string taken = std::string(kSale) + lot_table("dry-c") + lot_table("lamp");
  write_file(dir.sub("taken.toml"), taken);
  const Run refused = ctl(server, {"lots", "import", dir.sub("taken.toml"), "--dry-run"});
  check_error(refused, 1);
  CHECK_MESSAGE(contains(refused.err, "lamp"), describe(refused));
  CHECK_MESSAGE(contains(refused.err, "nothing would be created"), describe(refused));
  CHECK_FALSE(lot_exists(server, "dry-c"));
  std::string bidder_sells = std::string(kSale) + lot_table("dry-d");
  bidder_sells.replace(bidder_sells.find("seller = \"gallery\""), 18, "seller = \"alice\"");
  write_file(dir.sub("bidder.toml"), bidder_sells);
  const Run bidder = ctl(server, {"lots", "import", dir.sub("bidder.toml"), "--dry-run"});
  check_error(bidder, 1);
  CHECK_MESSAGE(contains(bidder.err, "seller role"), describe(bidder));
  CHECK_FALSE(lot_exists(server, "dry-d"));
  // And the real import of the rehearsed file then goes through.
  ok(ctl(server, {"lots", "import", dir.sub("rehearsal.toml")}));
  CHECK(lot_exists(server, "dry-a"));
}

TEST_CASE("a lot's seller must be an account with the seller role, on create, import and edit") {
  Auctiond server;
  TempDir dir;
  for (const char* seller : {"nobody2", "alice"}) {  // no account; a bidder
    CAPTURE(seller);
    const Run run = ctl(server, create_args("unsold", {{"--seller", seller}}));
    check_error(run, 1);
    CHECK_MESSAGE(contains(run.err, "seller must be an existing user with the seller role"),
                  describe(run));
    CHECK_FALSE(lot_exists(server, "unsold"));
  }
  ok(ctl(server, {"users", "add", "potter", "--role", "seller"}));
  ok(ctl(server, create_args("pot", {{"--seller", "potter"}, {"--starts-at", "now+1h"}})));

  std::string unknown = std::string(kSale) + lot_table("sel-a") + lot_table("sel-b");
  unknown += "seller = \"nobody2\"\n";  // sel-b's own seller
  check_catalogue_refused(
      server, dir, "unknown.toml", unknown,
      {1, line_of(unknown, "[[lots]]\nid = \"sel-b\""), line_count(unknown), "seller"},
      {"sel-a", "sel-b"});

  const Run edit = ctl(server, {"lots", "edit", "pot", "--seller", "bob"});
  check_error(edit, 1);
  CHECK_MESSAGE(contains(edit.err, "seller role"), describe(edit));
  CHECK(json(ctl(server, {"lots", "show", "pot", "--json"})).str("seller") == "potter");
}
