#include "auction/cluster/forwarding.h"

#include <charconv>
#include <vector>

#include "auction/persistence/record_codec.h"

namespace auction::cluster {
namespace {

constexpr std::string_view kRefused = "no";
constexpr std::string_view kOk = "ok ";

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string commands_subject(const ShardNames& names) {
  return "auction." + names.shard + ".commands";
}

}  // namespace

// ---- Follower side.

CommandForwarder::CommandForwarder(NatsLink& link, const ShardNames& names, ForwardReplies replies,
                                   DurationMs timeout_ms, std::size_t max_pending)
    : link_(link),
      names_(names),
      replies_(std::move(replies)),
      timeout_ms_(timeout_ms),
      max_pending_(max_pending),
      command_subject_(commands_subject(names)) {}

CommandForwarder::~CommandForwarder() {
  natsSubscription_Unsubscribe(subscription_);
  natsSubscription_Destroy(subscription_);
}

Status CommandForwarder::start() {
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return Status::error("libnats: no inbox");
  inbox_ = inbox;
  natsInbox_Destroy(inbox);
  const std::string pattern = inbox_ + ".*";
  const natsStatus status = natsConnection_Subscribe(&subscription_, link_.connection(),
                                                     pattern.c_str(), &on_message, this);
  if (status != NATS_OK) {
    return Status::error(Status::Code::unavailable,
                         "forwarding replies: " + nats_error_text(status));
  }
  return Status::ok();
}

bool CommandForwarder::forward(const CommandBody& body, std::uint64_t origin) {
  std::string request;
  persistence::encode_record(Command{1, 0, body}, request);
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= max_pending_) return false;
    pending_[origin] =
        Pending{std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_),
                std::chrono::steady_clock::time_point::max(), request};
  }
  if (!send(origin, request)) {
    std::lock_guard lock(mutex_);
    pending_.erase(origin);
    return false;
  }
  return true;
}

bool CommandForwarder::send(std::uint64_t origin, const std::string& request) {
  const std::string reply_to = inbox_ + "." + std::to_string(origin);
  return natsConnection_PublishRequest(link_.connection(), command_subject_.c_str(),
                                       reply_to.c_str(), request.data(),
                                       static_cast<int>(request.size())) == NATS_OK;
}

void CommandForwarder::on_message(natsConnection*, natsSubscription*, natsMsg* message,
                                  void* self) {
  static_cast<CommandForwarder*>(self)->on_reply_message(message);
  natsMsg_Destroy(message);
}

void CommandForwarder::on_reply_message(natsMsg* message) {
  const std::string_view subject = natsMsg_GetSubject(message);
  const std::string_view data(natsMsg_GetData(message),
                              static_cast<std::size_t>(natsMsg_GetDataLength(message)));
  const auto origin = parse_number(subject.substr(subject.rfind('.') + 1));
  if (!origin) return;
  {
    std::lock_guard lock(mutex_);
    const auto found = pending_.find(*origin);
    if (found == pending_.end()) return;  // expired already: it was refused
    if (natsMsg_IsNoResponders(message)) {
      found->second.resend_at =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(kResendMs);
      return;
    }
    pending_.erase(found);
  }
  const auto seq = data.starts_with(kOk) ? parse_number(data.substr(kOk.size())) : std::nullopt;
  if (seq) {
    replies_.on_reply(*origin, *seq);
  } else {
    replies_.on_refused(*origin);
  }
}

bool CommandForwarder::release(std::uint64_t origin) {
  std::lock_guard lock(mutex_);
  return pending_.erase(origin) == 1;
}

void CommandForwarder::expire() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::uint64_t> overdue;
  std::vector<std::pair<std::uint64_t, std::string>> again;
  {
    std::lock_guard lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline <= now) {
        overdue.push_back(it->first);
        it = pending_.erase(it);
        continue;
      }
      if (it->second.resend_at <= now) {
        it->second.resend_at = std::chrono::steady_clock::time_point::max();
        again.emplace_back(it->first, it->second.request);
      }
      ++it;
    }
  }
  for (const auto& [origin, request] : again)
    send(origin, request);
  for (const std::uint64_t origin : overdue)
    replies_.on_refused(origin);
}

// ---- Leader side.

CommandServer::CommandServer(NatsLink& link, const ShardNames& names, std::size_t max_pending)
    : link_(link),
      names_(names),
      max_pending_(max_pending),
      command_subject_(commands_subject(names)) {}

CommandServer::~CommandServer() {
  stop();
}

Status CommandServer::start(Submit submit, CommandForwarder* local,
                            std::function<void(std::uint64_t)> refuse_local) {
  submit_ = std::move(submit);
  local_ = local;
  refuse_local_ = std::move(refuse_local);
  const natsStatus status = natsConnection_Subscribe(&subscription_, link_.connection(),
                                                     command_subject_.c_str(), &on_message, this);
  if (status != NATS_OK) {
    return Status::error(Status::Code::unavailable,
                         "taking forwarded commands: " + nats_error_text(status));
  }
  natsConnection_Flush(link_.connection());  // the followers' next request finds it
  return Status::ok();
}

void CommandServer::stop() {
  if (subscription_ == nullptr) return;
  natsSubscription_Unsubscribe(subscription_);
  natsSubscription_Destroy(subscription_);
  subscription_ = nullptr;
}

void CommandServer::on_message(natsConnection*, natsSubscription*, natsMsg* message, void* self) {
  static_cast<CommandServer*>(self)->on_request(message);
  natsMsg_Destroy(message);
}

void CommandServer::on_request(natsMsg* message) {
  const char* reply_to = natsMsg_GetReply(message);
  if (reply_to == nullptr) return;
  Command command;
  const std::string_view data(natsMsg_GetData(message),
                              static_cast<std::size_t>(natsMsg_GetDataLength(message)));
  const std::string_view reply(reply_to);
  if (local_ != nullptr && reply.starts_with(local_->inbox() + ".")) {
    // Sent by this node before it led: its own origin, answered by the wiring like any other.
    const auto origin = parse_number(reply.substr(local_->inbox().size() + 1));
    if (!origin || !local_->release(*origin)) return;  // answered (refused) already
    if (!persistence::decode_record(data, command).is_ok() ||
        !submit_(std::move(command.body), *origin)) {
      refuse_local_(*origin);
    }
    return;
  }
  std::uint64_t origin = 0;
  {
    std::lock_guard lock(mutex_);
    if (reply_to_.size() < max_pending_) {
      origin = kForwardedOriginBit | next_origin_++;
      reply_to_.emplace(origin, reply_to);
    }
  }
  if (origin == 0 || !persistence::decode_record(data, command).is_ok() ||
      !submit_(std::move(command.body), origin)) {
    if (origin != 0) take_reply_subject(origin);
    natsConnection_Publish(link_.connection(), reply_to, kRefused.data(),
                           static_cast<int>(kRefused.size()));
  }
}

std::string CommandServer::take_reply_subject(std::uint64_t origin) {
  std::lock_guard lock(mutex_);
  const auto found = reply_to_.find(origin);
  if (found == reply_to_.end()) return {};
  std::string subject = std::move(found->second);
  reply_to_.erase(found);
  return subject;
}

void CommandServer::answer(std::uint64_t origin, Seq seq) {
  const std::string subject = take_reply_subject(origin);
  if (subject.empty()) return;
  const std::string reply = std::string(kOk) + std::to_string(seq);
  natsConnection_Publish(link_.connection(), subject.c_str(), reply.data(),
                         static_cast<int>(reply.size()));
}

void CommandServer::refuse(std::uint64_t origin) {
  const std::string subject = take_reply_subject(origin);
  if (subject.empty()) return;
  natsConnection_Publish(link_.connection(), subject.c_str(), kRefused.data(),
                         static_cast<int>(kRefused.size()));
}

}  // namespace auction::cluster
