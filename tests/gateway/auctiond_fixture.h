// Starts the built auctiond on loopback with a fresh data directory, and stops it.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../persistence/temp_dir.h"
#include "../support/subprocess.h"
#include "../support/ws_client.h"

namespace auction::testing {

class Auctiond {
 public:
  explicit Auctiond(std::vector<std::string> extra = {}, const std::string* use_dir = nullptr) {
    const std::string dir = use_dir != nullptr ? *use_dir : data_.path();
    this->data_dir = dir;
    std::vector<std::string> argv = {AUCTIOND,      "--data-dir",     dir,           "--listen",
                                     "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--demo"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Subprocess>(argv);
    while (const auto line = process_->read_line(std::chrono::seconds(20))) {
      std::istringstream in(*line);
      std::string first, second, name, word, token;
      in >> first >> second;
      if (first == "auctiond:" && second == "listening") {
        const auto colon = line->find("127.0.0.1:");
        port = static_cast<unsigned short>(std::stoi(line->substr(colon + 10)));
      } else if (first == "auctiond:" && second == "admin") {
        const auto colon = line->find("127.0.0.1:");
        admin_url = "http://" + line->substr(colon, line->find(' ', colon) - colon);
        admin_token_file = dir + "/admin.token";
      } else if (first == "user") {
        in >> word >> token;
        tokens[second] = token;
        if (second == "carol") break;  // the last line of the start-up banner
      }
    }
    REQUIRE_MESSAGE(port != 0, "auctiond did not start");
  }
  ~Auctiond() { stop(); }

  // SIGTERM; returns the exit status (0 for a clean shutdown).
  int stop() {
    if (stopped_) return exit_status_;
    stopped_ = true;
    process_->kill(SIGTERM);
    const int status = process_->wait();
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_status_;
  }

  // SIGKILL: no shutdown at all, as a crash.
  void kill_hard() {
    stopped_ = true;
    process_->kill(SIGKILL);
    process_->wait();
  }

  int pid() const { return process_->pid(); }
  // The next line auctiond prints after its start-up banner (none on timeout).
  std::optional<std::string> next_line(std::chrono::milliseconds timeout) {
    return process_->read_line(timeout);
  }

  std::unique_ptr<WsClient> client() { return std::make_unique<WsClient>("127.0.0.1", port); }

  // A client logged in as `user`.
  std::unique_ptr<WsClient> login(const std::string& user) {
    auto c = client();
    c->send(R"({"type":"login","user":")" + user + R"(","token":")" + tokens.at(user) + R"("})");
    const auto answer = c->receive(std::chrono::seconds(5));
    REQUIRE(answer.has_value());
    REQUIRE(answer->find("login_ok") != std::string::npos);
    return c;
  }

  unsigned short port = 0;
  std::map<std::string, std::string> tokens;
  std::string data_dir;
  std::string admin_url;         // http://127.0.0.1:PORT of the admin interface
  std::string admin_token_file;  // the admin token auctiond made in its data directory

 private:
  TempDir data_;
  std::unique_ptr<Subprocess> process_;
  bool stopped_ = false;
  int exit_status_ = 0;
};

// A parsed server message.
class Message {
 public:
  // Not copyable or movable: root_ points into parser_'s document.
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  explicit Message(const std::optional<std::string>& text) {
    REQUIRE_MESSAGE(text.has_value(), "no message arrived");
    text_ = simdjson::padded_string(*text);
    REQUIRE_MESSAGE(parser_.parse(text_).get(root_) == simdjson::SUCCESS, *text);
  }
  std::string str(const char* key) const {
    std::string_view value;
    if (root_[key].get(value) != simdjson::SUCCESS) return "<missing or not a string>";
    return std::string(value);
  }
  std::int64_t num(const char* key) const {
    std::int64_t value = -1;
    if (root_[key].get(value) != simdjson::SUCCESS) return -1;
    return value;
  }
  bool is_null(const char* key) const { return root_[key].is_null(); }
  bool has(const char* key) const { return root_[key].error() == simdjson::SUCCESS; }
  simdjson::dom::element root() const { return root_; }
  std::string text() const { return std::string(text_); }

 private:
  simdjson::padded_string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

}  // namespace auction::testing
