-- One bid on one lot, the way a team would do it on Redis: read the lot, check it is open, not
-- past its deadline and not led by the bidder, take the next valid raise (current price +
-- increment; redis-benchmark cannot read the price first, so the script computes it and still
-- checks it is a whole multiple), move the extension deadline, and append the bid to a stream.
--   KEYS[1] = the lot's hash, KEYS[2] = the bid stream, KEYS[3] = the rejection counters
--   ARGV[1] = the bidder
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lot = redis.call('HMGET', KEYS[1], 'phase', 'price', 'increment', 'deadline_ms',
                       'extension_ms', 'leader')
local code = nil
if not lot[1] then
  code = 'unknown_lot'
elseif lot[1] ~= 'extension' then
  code = 'lot_not_open'
elseif now_ms >= tonumber(lot[4]) then
  code = 'lot_closed'
elseif lot[6] == ARGV[1] then
  code = 'already_leading'
end
local price, increment = tonumber(lot[2] or 0), tonumber(lot[3] or 1)
local amount = price + increment
if not code and (amount - price) % increment ~= 0 then code = 'not_increment_multiple' end
if code then
  redis.call('HINCRBY', KEYS[3], code, 1)
  return code
end
local deadline_ms = now_ms + tonumber(lot[5])
redis.call('HSET', KEYS[1], 'price', amount, 'leader', ARGV[1], 'deadline_ms', deadline_ms)
redis.call('XADD', KEYS[2], '*', 'lot', KEYS[1], 'bidder', ARGV[1], 'amount', amount,
           'ts_ms', now_ms)
return 'accepted'
