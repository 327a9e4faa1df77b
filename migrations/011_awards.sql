-- One-time actions (issue 15): each award of a Rivo earning rule for an action the customer completed in Yotpo.
-- An award is a write with no idempotency key and no way to undo it, so it has its own ledger: the intent is
-- committed before the request, the outcome after. The points an award granted are counted into the customer's
-- migrated amounts through a `done` row in `events` (role 'award', the same key), so the planner's fold, verify and
-- rollback see them like any points this migration gave.
CREATE TABLE awards (
  key           TEXT PRIMARY KEY,                  -- deterministic: migration, customer, rule
  customer_key  TEXT NOT NULL REFERENCES customers(key),
  rivo_id       TEXT NOT NULL,                     -- the Rivo customer identifier it is sent to
  action        TEXT NOT NULL,                     -- the Yotpo action name (mapping.oneTimeActions key)
  rule_id       TEXT NOT NULL,                     -- the Rivo earning rule
  status        TEXT NOT NULL
                  CHECK (status IN ('in_flight','uncertain','awarded','pending','already','refused','skipped')),
  points        INTEGER,                           -- granted and counted (awarded only)
  points_due_at TEXT,                              -- pending: when Rivo approves the points
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,                              -- status and truncated body, or why it was skipped
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  done_at       TEXT,
  UNIQUE (customer_key, rule_id)
) STRICT;

CREATE INDEX awards_status ON awards(status, customer_key);
