-- The same bid in PostgreSQL: lock the lot row, check, update, insert the bid.
CREATE TABLE lots (
  id int PRIMARY KEY,
  phase text NOT NULL,
  price bigint NOT NULL,
  increment bigint NOT NULL,
  deadline_ms bigint NOT NULL,
  extension_ms bigint NOT NULL,
  leader int
);
CREATE TABLE bids (
  id bigserial PRIMARY KEY,
  lot int NOT NULL,
  bidder int NOT NULL,
  amount bigint NOT NULL,
  ts_ms bigint NOT NULL
);
CREATE TABLE rejects (code text NOT NULL);

CREATE FUNCTION place_bid(p_lot int, p_bidder int) RETURNS text AS $$
DECLARE
  l lots%ROWTYPE;
  now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  amount bigint;
  code text;
BEGIN
  SELECT * INTO l FROM lots WHERE id = p_lot FOR UPDATE;
  IF NOT FOUND THEN
    code := 'unknown_lot';
  ELSIF l.phase <> 'extension' THEN
    code := 'lot_not_open';
  ELSIF now_ms >= l.deadline_ms THEN
    code := 'lot_closed';
  ELSIF l.leader = p_bidder THEN
    code := 'already_leading';
  ELSE
    -- pgbench cannot read the price first: the next valid raise, still checked.
    amount := l.price + l.increment;
    IF (amount - l.price) % l.increment <> 0 THEN
      code := 'not_increment_multiple';
    END IF;
  END IF;
  IF code IS NOT NULL THEN
    INSERT INTO rejects VALUES (code);
    RETURN code;
  END IF;
  UPDATE lots SET price = amount, leader = p_bidder, deadline_ms = now_ms + l.extension_ms
    WHERE id = p_lot;
  INSERT INTO bids (lot, bidder, amount, ts_ms) VALUES (p_lot, p_bidder, amount, now_ms);
  RETURN 'accepted';
END
$$ LANGUAGE plpgsql;

INSERT INTO lots
  SELECT i, 'extension', 1000, 50,
         (extract(epoch FROM now()) * 1000)::bigint + 86400000, 86400000, NULL
  FROM generate_series(0, 999) AS i;
