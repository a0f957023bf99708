// auctiond's start-up against the built binary: TLS on the bidders' port, flags refused out of
// range before anything is touched, the TOML configuration file under the flags, and the threads
// named for an operator.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "auctiond_fixture.h"

using namespace auction::testing;
using namespace std::chrono_literals;

TEST_CASE("TLS: with a certificate and key the same port serves https (and plain http)") {
  TempDir keys;
  const std::string cert = keys.sub("cert.pem"), key = keys.sub("key.pem");
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
      " -out " + cert + " 2>/dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  // Two IO threads: connections go round them, so both serve TLS and plain connections.
  Auctiond server({"--tls-cert", cert, "--tls-key", key, "--io-threads", "2"});
  for (int i = 0; i < 2; ++i) {  // two in a row: one on each lane
    const auto [status, body] = https_get(server.port, "/healthz");
    CHECK(status == 200);
    CHECK(body.find("\"status\":\"ok\"") != std::string::npos);
  }
  for (int i = 0; i < 2; ++i)
    CHECK(http_get(server.port, "/healthz").status == 200);
  auto c = server.client();  // plain ws on the same port
  c->send(R"({"type":"ping"})");
  CHECK(Message(c->receive(5s)).str("type") == "pong");
}

TEST_CASE("auctiond's threads carry their roles' names (top -H, perf, chrt)") {
  Auctiond server({"--io-threads", "2"});
  std::set<std::string> names;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(server.pid()) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names.insert(name);
  }
  for (const char* role : {"io-0", "io-1", "core", "journal", "settler", "snapshotter", "admin"}) {
    CHECK_MESSAGE(names.count(role) == 1, "no thread named " << role);
  }
}

TEST_CASE("auctiond refuses a missing or mismatched TLS file with a clear error") {
  TempDir dir;
  Subprocess bad({AUCTIOND, "--data-dir", dir.sub("data"), "--listen", "127.0.0.1:0",
                  "--admin-listen", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem", "--tls-key",
                  "/nonexistent.pem"});
  CHECK(bad.wait() != 0);
}

TEST_CASE("auctiond refuses a handshake or idle timeout out of range") {
  // 0 ms would close every connection at once; a negative value would never time out.
  for (const auto& [flag_name, flag_value] :
       std::vector<std::pair<std::string, std::string>>{{"--handshake-timeout-ms", "0"},
                                                        {"--handshake-timeout-ms", "-5"},
                                                        {"--idle-timeout-ms", "99"},
                                                        {"--idle-timeout-ms", "86400001"}}) {
    const std::string& flag = flag_name;  // clang 14: a binding cannot be CAPTUREd
    const std::string& value = flag_value;
    TempDir dir;
    Subprocess bad({AUCTIOND, "--data-dir", dir.sub("data"), "--listen", "127.0.0.1:0",
                    "--admin-listen", "127.0.0.1:0", flag, value});
    CAPTURE(flag);
    CAPTURE(value);
    CHECK(bad.wait() != 0);
    CHECK(!std::filesystem::exists(dir.sub("data")));  // refused before touching anything
  }
}

TEST_CASE("auctiond reads a TOML configuration file, flags override it, and --help documents it") {
  TempDir dir;
  const std::string config = dir.sub("auctiond.toml");
  {
    std::FILE* file = std::fopen(config.c_str(), "w");
    REQUIRE(file != nullptr);
    std::fputs("listen = \"127.0.0.1:1\"\n[limits]\nmax_frame_bytes = 512\n", file);
    std::fclose(file);
  }
  Auctiond server({"--config", config});  // the fixture's --listen 127.0.0.1:0 overrides port 1
  auto c = server.client();
  c->send(R"({"type":"ping","id":")" + std::string(1'000, 'x') + R"("})");
  CHECK_FALSE(c->receive(5s).has_value());
  CHECK(c->close_code() == 1009);  // the file's frame limit applies
  Subprocess help({AUCTIOND, "--help"});
  std::string text;
  while (const auto line = help.read_line(5s))
    text += *line + "\n";
  CHECK(help.wait() == 0);
  CHECK(text.find("--data-dir") != std::string::npos);
  CHECK(text.find("--tls-cert") != std::string::npos);
  CHECK(text.find("--max-frame-bytes") != std::string::npos);
}
