// Settlement's durable state, in its own LMDB environment of the data directory
// (DATA_DIR/settlement):
//
//   "inputs":    settlement seq (u64) → input record (below): settlement's own journal
//   "accounts":  account name → currency | i64 balance
//   "orders":    lot id → order
//   "by_user":   "USER/LOT" → nothing, for the buyer and the seller of every order (an index)
//   "lots":      lot id → what settlement knows of the lot
//   "refs":      external payment reference → u64 id of the transfer that booked it
//   "transfers": transfer id (u64) → transfer (append-only: the ledger's history)
//   "meta":      "cursor" (the engine journal seq consumed), "input_seq", "now", "transfers",
//                "chain", "config"
//
// Input record: u8 version (1) | u64 seq | i64 ts_ms | u64 engine_seq | body | u64 XXH3-64 of
// everything before it.
//
// Contract: commit() writes a batch's input records, every state entry that changed and the
// engine cursor in ONE write transaction, made durable before it returns (LMDB commit = fsync):
// after a crash the store holds either all of a batch or none of it, so each engine event and
// each input takes effect exactly once. load() returns exactly the state the last commit left.
// Readers (any thread, any process, read-only copies too) see committed state only.
// Threading: commit() from one writer thread; everything else from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auction/engine/status.h"
#include "auction/settlement/settlement.h"

namespace auction::persistence {

inline constexpr std::uint8_t kSettlementRecordVersion = 1;

void encode_input_record(const settlement::Input& input, std::string& out);
// Accepts exactly what encode_input_record() produces; Code::corruption with the reason otherwise.
Status decode_input_record(std::string_view bytes, settlement::Input& out);

class SettlementStore {
 public:
  static Status open(const std::string& directory, bool read_only,
                     std::unique_ptr<SettlementStore>& out,
                     std::size_t map_size_bytes = std::size_t{4} << 30);
  ~SettlementStore();
  SettlementStore(const SettlementStore&) = delete;
  SettlementStore& operator=(const SettlementStore&) = delete;

  // `state` must be fresh. Fails with Code::corruption when a stored value does not decode.
  Status load(settlement::Settlement& state, Seq& engine_cursor) const;
  // Writes `records` (encoded inputs, consecutive seqs), what `changes` names as it is now in
  // `state`, and the cursor; durable when it returns ok. On error nothing of it was written.
  Status commit(const std::vector<std::string>& records, const settlement::Settlement& state,
                const settlement::Changes& changes, Seq engine_cursor);

  Seq engine_cursor() const;
  // Calls visit for every input with seq ≥ from_seq, in order, until it returns false.
  Status scan_inputs(Seq from_seq,
                     const std::function<bool(const settlement::Input&)>& visit) const;
  Status scan_transfers(std::uint64_t from_id,
                        const std::function<bool(const settlement::Transfer&)>& visit) const;

  // Reads for the admin interface and the bidder gateway (committed state).
  // Accounts whose name starts with `prefix` ("" = all), in name order.
  std::vector<std::pair<std::string, settlement::Account>> accounts(std::string_view prefix) const;
  // A user's accounts: wallets, holds, payables.
  std::vector<std::pair<std::string, settlement::Account>> accounts_of(const UserId& user) const;
  std::optional<settlement::Order> order(const LotId& lot) const;
  // Every order, or those `user` bought or sold (through the index: O(the user's orders)).
  std::vector<settlement::Order> orders(const UserId* user = nullptr) const;

  // Loads everything, checks every invariant, and re-adds the transfer log from zero to check
  // that it yields every stored balance and books each reference once.
  Status audit(settlement::LedgerAudit& out) const;

 private:
  SettlementStore() = default;
  void* env_ = nullptr;  // MDB_env
  unsigned inputs_ = 0, accounts_ = 0, orders_ = 0, by_user_ = 0, lots_ = 0, refs_ = 0,
           transfers_ = 0, meta_ = 0;
  bool read_only_ = false;
  std::string directory_;
};

}  // namespace auction::persistence
