// auctionctl's command line beyond CLI11: a mistyped command named with the nearest one, and
// the shard table of `status`.
// Threading: plain functions.
#pragma once

#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <string>

namespace auctionctl {

// The first word of the command line that names no subcommand where one is expected (options
// and their values skipped), as `unknown command "creat" (did you mean "create"?)`; empty
// when every word is known.
std::string unknown_command(CLI::App& app, int argc, char** argv);
// After `status`: a replicated shard's nodes (SPEC §11) with their journal seq and lag.
void print_shard(simdjson::dom::element root);

}  // namespace auctionctl
