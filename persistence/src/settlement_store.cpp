#include "auction/persistence/settlement_store.h"

#include <xxhash.h>

#include <cstring>
#include <map>

#include "auction/settlement/codec.h"
#include "lmdb_env.h"

namespace auction::persistence {

using namespace settlement;

namespace {

MDB_env* env_of(void* env) {
  return static_cast<MDB_env*>(env);
}

constexpr std::size_t kInputHeaderBytes = 1 + 8 + 8 + 8;

template <typename Int>
MDB_val int_value(Int& value) {
  return MDB_val{sizeof(Int), &value};
}

template <typename Int>
bool read_int(MDB_txn* txn, MDB_dbi dbi, std::string_view name, Int& out) {
  MDB_val key = lmdb::value_of(name), value;
  if (mdb_get(txn, dbi, &key, &value) != 0 || value.mv_size != sizeof(Int)) return false;
  std::memcpy(&out, value.mv_data, sizeof(Int));
  return true;
}

// Calls visit(key, value) for every entry of `dbi` whose key starts with `prefix`.
template <typename Visit>
int for_each(MDB_txn* txn, MDB_dbi dbi, std::string_view prefix, Visit&& visit) {
  lmdb::Cursor cursor(txn, dbi);
  if (cursor.rc() != 0) return cursor.rc();
  MDB_val key = lmdb::value_of(prefix), value;
  int rc = prefix.empty() ? mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST)
                          : mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE);
  while (rc == 0) {
    const std::string_view k = lmdb::view_of(key);
    if (!k.starts_with(prefix)) break;
    if (!visit(k, lmdb::view_of(value))) return 0;
    rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT);
  }
  return rc == MDB_NOTFOUND ? 0 : rc;
}

template <typename Value, typename Decode>
bool decode_value(std::string_view bytes, Value& out, Decode decode) {
  ByteReader in(bytes);
  return decode(in, out) && in.done();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Input records.

void encode_input_record(const Input& input, std::string& out) {
  const std::size_t start = out.size();
  ByteWriter w(out);
  w.integer(kSettlementRecordVersion);
  w.integer(input.seq);
  w.integer(input.ts_ms);
  w.integer(input.engine_seq);
  encode_input_body(w, input.body);
  w.integer(static_cast<std::uint64_t>(XXH3_64bits(out.data() + start, out.size() - start)));
}

Status decode_input_record(std::string_view bytes, Input& out) {
  const auto corrupt = [](std::string why) {
    return Status::error(Status::Code::corruption, "settlement input: " + why);
  };
  if (bytes.size() < kInputHeaderBytes + 1 + 8) return corrupt("truncated");
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (XXH3_64bits(bytes.data(), bytes.size() - 8) != stored) return corrupt("checksum mismatch");
  ByteReader in(bytes.substr(0, bytes.size() - 8));
  std::uint8_t version = 0;
  in.integer(version);
  if (version != kSettlementRecordVersion) {
    return corrupt("unknown format version " + std::to_string(version));
  }
  in.integer(out.seq);
  in.integer(out.ts_ms);
  in.integer(out.engine_seq);
  if (!decode_input_body(in, out.body) || !in.done()) return corrupt("malformed body");
  if (!is_valid_time(out.ts_ms)) return corrupt("timestamp out of range");
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Opening and loading.

Status SettlementStore::open(const std::string& directory, bool read_only,
                             std::unique_ptr<SettlementStore>& out, std::size_t map_size_bytes) {
  std::unique_ptr<SettlementStore> store(new SettlementStore());
  store->read_only_ = read_only;
  store->directory_ = directory;
  MDB_env* env = nullptr;
  if (Status s = lmdb::open_env(directory, map_size_bytes, 9, read_only, &env); !s.is_ok()) {
    return s;
  }
  store->env_ = env;
  MDB_dbi inputs = 0, accounts = 0, orders = 0, by_user = 0, lots = 0, refs = 0, transfers = 0,
          meta = 0;
  if (Status s = lmdb::open_dbs(env, directory, read_only,
                                {{"inputs", MDB_INTEGERKEY, &inputs},
                                 {"accounts", 0, &accounts},
                                 {"orders", 0, &orders},
                                 {"by_user", 0, &by_user},
                                 {"lots", 0, &lots},
                                 {"refs", 0, &refs},
                                 {"transfers", MDB_INTEGERKEY, &transfers},
                                 {"meta", 0, &meta}});
      !s.is_ok()) {
    return s;
  }
  store->inputs_ = inputs;
  store->accounts_ = accounts;
  store->orders_ = orders;
  store->by_user_ = by_user;
  store->lots_ = lots;
  store->refs_ = refs;
  store->transfers_ = transfers;
  store->meta_ = meta;
  out = std::move(store);
  return Status::ok();
}

SettlementStore::~SettlementStore() {
  if (env_ != nullptr) mdb_env_close(env_of(env_));
}

Status SettlementStore::load(Settlement& state, Seq& engine_cursor) const {
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return lmdb::error(txn.rc(), directory_ + ": begin read");
  const auto corrupt = [&](std::string what) {
    return Status::error(Status::Code::corruption, directory_ + ": " + what + " does not decode");
  };
  SettlementConfig config;
  TimeMs now_ms = 0;
  Seq input_seq = 0;
  std::uint64_t transfers = 0, chain = 0;
  engine_cursor = 0;
  read_int(txn.get(), meta_, "cursor", engine_cursor);
  read_int(txn.get(), meta_, "input_seq", input_seq);
  read_int(txn.get(), meta_, "now", now_ms);
  read_int(txn.get(), meta_, "transfers", transfers);
  read_int(txn.get(), meta_, "chain", chain);
  MDB_val key = lmdb::value_of("config"), value;
  if (mdb_get(txn.get(), meta_, &key, &value) == 0 &&
      !decode_value(lmdb::view_of(value), config, decode_config)) {
    return corrupt("the configuration");
  }
  state.load_config(config, now_ms, input_seq, transfers, chain);
  std::string bad;
  int rc = for_each(txn.get(), accounts_, "", [&](std::string_view name, std::string_view bytes) {
    Account account;
    if (!decode_value(bytes, account, decode_account) || !account_kind(name)) {
      bad = "account " + std::string(name);
      return false;
    }
    state.load_account(std::string(name), account);
    return true;
  });
  if (rc == 0 && bad.empty()) {
    rc = for_each(txn.get(), orders_, "", [&](std::string_view lot, std::string_view bytes) {
      Order order;
      if (!decode_value(bytes, order, decode_order) || order.lot.view() != lot) {
        bad = "order " + std::string(lot);
        return false;
      }
      state.load_order(order);
      return true;
    });
  }
  if (rc == 0 && bad.empty()) {
    rc = for_each(txn.get(), lots_, "", [&](std::string_view lot, std::string_view bytes) {
      LotInfo info;
      const auto id = LotId::parse(lot);
      if (!id || !decode_value(bytes, info, decode_lot_info)) {
        bad = "lot " + std::string(lot);
        return false;
      }
      state.load_lot(*id, info);
      return true;
    });
  }
  if (rc == 0 && bad.empty()) {
    rc = for_each(txn.get(), refs_, "", [&](std::string_view reference, std::string_view) {
      state.load_reference(std::string(reference));
      return true;
    });
  }
  if (rc != 0) return lmdb::error(rc, directory_ + ": read");
  if (!bad.empty()) return corrupt(bad);
  state.finish_load();
  return Status::ok();
}

Seq SettlementStore::engine_cursor() const {
  lmdb::ReadTxn txn(env_of(env_));
  Seq cursor = 0;
  if (txn.rc() == 0) read_int(txn.get(), meta_, "cursor", cursor);
  return cursor;
}

// ---------------------------------------------------------------------------------------------
// The one write transaction per batch.

Status SettlementStore::commit(const std::vector<std::string>& records, const Settlement& state,
                               const Changes& changes, Seq engine_cursor) {
  if (read_only_) return Status::error(Status::Code::invalid_argument, "settlement: read-only");
  MDB_txn* txn = nullptr;
  if (const int rc = mdb_txn_begin(env_of(env_), nullptr, 0, &txn); rc != 0) {
    return lmdb::error(rc, "settlement: begin write");
  }
  const auto fail = [&](int rc, const std::string& doing) {
    mdb_txn_abort(txn);
    return lmdb::error(rc, "settlement: " + doing);
  };
  const auto put = [&](MDB_dbi dbi, MDB_val key, std::string_view bytes, unsigned flags = 0) {
    MDB_val value = lmdb::value_of(bytes);
    return mdb_put(txn, dbi, &key, &value, flags);
  };
  std::string bytes;
  ByteWriter w(bytes);
  Seq input_seq = state.last_input_seq() - records.size();
  for (const std::string& record : records) {
    ++input_seq;
    if (const int rc = put(inputs_, int_value(input_seq), record, MDB_APPEND); rc != 0) {
      return fail(rc, "append input " + std::to_string(input_seq));
    }
  }
  for (const std::string& name : changes.accounts) {
    MDB_val key = lmdb::value_of(name);
    const auto found = state.accounts().find(name);
    int rc = 0;
    if (found == state.accounts().end()) {
      rc = mdb_del(txn, accounts_, &key, nullptr);
      if (rc == MDB_NOTFOUND) rc = 0;
    } else {
      bytes.clear();
      encode_account(w, found->second);
      rc = put(accounts_, key, bytes);
    }
    if (rc != 0) return fail(rc, "write account " + name);
  }
  for (const LotId& lot : changes.orders) {
    const Order& order = *state.find_order(lot);
    bytes.clear();
    encode_order(w, order);
    if (const int rc = put(orders_, lmdb::value_of(lot.view()), bytes); rc != 0) {
      return fail(rc, "write order " + std::string(lot.view()));
    }
    for (const UserId& user : {order.buyer, order.seller}) {
      const std::string key = std::string(user.view()) + "/" + std::string(lot.view());
      if (const int rc = put(by_user_, lmdb::value_of(key), {}); rc != 0) {
        return fail(rc, "index order " + key);
      }
    }
  }
  for (const LotId& lot : changes.lots) {
    bytes.clear();
    encode_lot_info(w, state.lots().at(lot));
    if (const int rc = put(lots_, lmdb::value_of(lot.view()), bytes); rc != 0) {
      return fail(rc, "write lot " + std::string(lot.view()));
    }
  }
  for (Transfer transfer : changes.transfers) {
    bytes.clear();
    encode_transfer(w, transfer);
    if (const int rc = put(transfers_, int_value(transfer.id), bytes, MDB_APPEND); rc != 0) {
      return fail(rc, "append transfer " + std::to_string(transfer.id));
    }
    if (transfer.reason != TransferReason::credit) continue;
    std::string id(sizeof(transfer.id), '\0');
    std::memcpy(id.data(), &transfer.id, sizeof(transfer.id));
    // MDB_NOOVERWRITE: a reference booked twice is refused by the store as well.
    if (const int rc = put(refs_, lmdb::value_of(transfer.reference), id, MDB_NOOVERWRITE);
        rc != 0) {
      return fail(rc, "book reference " + transfer.reference);
    }
  }
  TimeMs now_ms = state.now_ms();
  Seq last_input = state.last_input_seq();
  std::uint64_t count = state.transfer_count(), chain = state.transfer_chain();
  bytes.clear();
  encode_config(w, state.config());
  for (const auto& [name, value] :
       {std::pair<std::string_view, MDB_val>{"cursor", int_value(engine_cursor)},
        {"input_seq", int_value(last_input)},
        {"now", int_value(now_ms)},
        {"transfers", int_value(count)},
        {"chain", int_value(chain)},
        {"config", lmdb::value_of(bytes)}}) {
    MDB_val key = lmdb::value_of(name), copy = value;
    if (const int rc = mdb_put(txn, meta_, &key, &copy, 0); rc != 0) {
      return fail(rc, "write " + std::string(name));
    }
  }
  if (const int rc = mdb_txn_commit(txn); rc != 0) return lmdb::error(rc, "settlement: commit");
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Readers.

Status SettlementStore::scan_inputs(Seq from_seq,
                                    const std::function<bool(const Input&)>& visit) const {
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return lmdb::error(txn.rc(), directory_ + ": begin read");
  lmdb::Cursor cursor(txn.get(), inputs_);
  MDB_val key{sizeof(from_seq), &from_seq}, value;
  int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE);
  Seq expected = 0;
  while (rc == 0) {
    Seq seq = 0;
    std::memcpy(&seq, key.mv_data, sizeof(seq));
    Input input;
    if (Status s = decode_input_record(lmdb::view_of(value), input); !s.is_ok()) {
      return Status::error(s.code(), s.message() + " (seq " + std::to_string(seq) + ")");
    }
    if (input.seq != seq || (expected != 0 && seq != expected)) {
      return Status::error(Status::Code::corruption,
                           "settlement input seq " + std::to_string(seq) + ": out of sequence");
    }
    expected = seq + 1;
    if (!visit(input)) return Status::ok();
    rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND) return lmdb::error(rc, directory_ + ": read inputs");
  return Status::ok();
}

Status SettlementStore::scan_transfers(std::uint64_t from_id,
                                       const std::function<bool(const Transfer&)>& visit) const {
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return lmdb::error(txn.rc(), directory_ + ": begin read");
  lmdb::Cursor cursor(txn.get(), transfers_);
  MDB_val key{sizeof(from_id), &from_id}, value;
  int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE);
  while (rc == 0) {
    Transfer transfer;
    if (!decode_value(lmdb::view_of(value), transfer, decode_transfer)) {
      std::uint64_t id = 0;
      std::memcpy(&id, key.mv_data, sizeof(id));
      return Status::error(Status::Code::corruption,
                           "settlement transfer " + std::to_string(id) + " does not decode");
    }
    if (!visit(transfer)) return Status::ok();
    rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND) return lmdb::error(rc, directory_ + ": read transfers");
  return Status::ok();
}

std::vector<std::pair<std::string, Account>> SettlementStore::accounts(
    std::string_view prefix) const {
  std::vector<std::pair<std::string, Account>> out;
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return out;
  for_each(txn.get(), accounts_, prefix, [&](std::string_view name, std::string_view bytes) {
    Account account;
    if (decode_value(bytes, account, decode_account)) out.emplace_back(name, account);
    return true;
  });
  return out;
}

std::vector<std::pair<std::string, Account>> SettlementStore::accounts_of(
    const UserId& user) const {
  std::vector<std::pair<std::string, Account>> out;
  for (const char* kind : {"wallet/", "hold/", "payable/"}) {
    auto part = accounts(std::string(kind) + std::string(user.view()) + "/");
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::optional<Order> SettlementStore::order(const LotId& lot) const {
  lmdb::ReadTxn txn(env_of(env_));
  MDB_val key = lmdb::value_of(lot.view()), value;
  Order order;
  if (txn.rc() != 0 || mdb_get(txn.get(), orders_, &key, &value) != 0 ||
      !decode_value(lmdb::view_of(value), order, decode_order)) {
    return std::nullopt;
  }
  return order;
}

std::vector<Order> SettlementStore::orders(const UserId* user) const {
  std::vector<Order> out;
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return out;
  const auto add = [&](std::string_view bytes) {
    Order order;
    if (decode_value(bytes, order, decode_order)) out.push_back(std::move(order));
  };
  if (user == nullptr) {
    for_each(txn.get(), orders_, "", [&](std::string_view, std::string_view bytes) {
      add(bytes);
      return true;
    });
    return out;
  }
  const std::string prefix = std::string(user->view()) + "/";
  for_each(txn.get(), by_user_, prefix, [&](std::string_view key, std::string_view) {
    MDB_val lot = lmdb::value_of(key.substr(prefix.size())), value;
    if (mdb_get(txn.get(), orders_, &lot, &value) == 0) add(lmdb::view_of(value));
    return true;
  });
  return out;
}

Status SettlementStore::audit(LedgerAudit& out) const {
  Settlement state;
  if (Status s = load(state, out.engine_cursor); !s.is_ok()) return s;
  for (const Violation& v : state.check())
    out.problems.push_back(v.what);
  out.accounts = state.accounts().size();
  out.orders = state.orders().size();
  out.input_seq = state.last_input_seq();
  out.digest = state.digest();
  // The transfer log, added up from nothing, must give every balance stored.
  std::map<std::string, AmountMinor> balances;
  std::map<std::string, std::uint64_t> credits;
  std::uint64_t expected_id = 1;
  Status scanned = scan_transfers(0, [&](const Transfer& t) {
    if (t.id != expected_id++)
      out.problems.push_back("transfer ids skip at " + std::to_string(t.id));
    balances[t.from] -= t.amount_minor;
    balances[t.to] += t.amount_minor;
    if (t.reason == TransferReason::credit && ++credits[t.reference] == 2) {
      out.problems.push_back("reference " + t.reference + " was booked twice");
    }
    return true;
  });
  if (!scanned.is_ok()) return scanned;
  out.transfers = expected_id - 1;
  out.references = credits.size();
  if (out.transfers != state.transfer_count()) {
    out.problems.push_back("the transfer log holds " + std::to_string(out.transfers) +
                           " transfers, the ledger counts " +
                           std::to_string(state.transfer_count()));
  }
  for (const auto& [name, balance] : balances) {
    if (balance != state.balance(name)) {
      out.problems.push_back("account " + name + ": transfers add up to " +
                             std::to_string(balance) + ", stored " +
                             std::to_string(state.balance(name)));
    }
  }
  for (const auto& [name, account] : state.accounts()) {
    if (!balances.contains(name) && account.balance_minor != 0) {
      out.problems.push_back("account " + name + " has a balance no transfer made");
    }
  }
  for (const auto& [reference, count] : credits) {
    if (!state.is_booked(reference)) {
      out.problems.push_back("reference " + reference + " is credited but not recorded");
    }
  }
  return Status::ok();
}

}  // namespace auction::persistence
