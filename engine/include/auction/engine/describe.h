// One-line, human-readable descriptions of commands and events, for logs, demos and test output.
//
// Contract: pure functions; the text is for people and may change (it is not a protocol).
// Threading: safe from any thread.
#pragma once

#include <string>

#include "auction/engine/command.h"
#include "auction/engine/event.h"

namespace auction {

std::string describe(const Command& command);
std::string describe(const Event& event);

}  // namespace auction
