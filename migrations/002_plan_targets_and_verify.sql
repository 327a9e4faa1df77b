-- What the plan intends per customer, so reports and verify compare against stored numbers rather than re-deriving
-- them with today's config. Written by the planner through src/ledger/.
ALTER TABLE customers ADD COLUMN target_points INTEGER;      -- net points the migration adds in total (all generations)
ALTER TABLE customers ADD COLUMN target_lifetime INTEGER;    -- lifetime increase intended
ALTER TABLE customers ADD COLUMN target_credits INTEGER;     -- cents
ALTER TABLE customers ADD COLUMN predicted_points INTEGER;   -- Rivo points_tally after the plan is applied
ALTER TABLE customers ADD COLUMN predicted_lifetime INTEGER;
ALTER TABLE customers ADD COLUMN predicted_credits INTEGER;
ALTER TABLE customers ADD COLUMN predicted_tier TEXT;        -- tier name
ALTER TABLE customers ADD COLUMN predicted_dob TEXT;
ALTER TABLE customers ADD COLUMN planned_at TEXT;

-- The latest verification of each customer against Rivo.
CREATE TABLE verify_results (
  customer_key      TEXT PRIMARY KEY REFERENCES customers(key),
  rivo_id           TEXT,
  checked_at        TEXT NOT NULL,
  outcome           TEXT NOT NULL CHECK (outcome IN ('match','mismatch','missing','not_checked')),
  points_expected   INTEGER, points_actual   INTEGER,
  lifetime_expected INTEGER, lifetime_actual INTEGER,
  credits_expected  INTEGER, credits_actual  INTEGER,
  tier_expected     TEXT,    tier_actual     TEXT,
  dob_expected      TEXT,    dob_actual      TEXT,
  keys_expected     INTEGER, keys_found      INTEGER,
  keys_duplicated   INTEGER NOT NULL DEFAULT 0,
  detail            TEXT                                  -- what differs, in words
) STRICT;

-- Things a merchant must see that are not a customer state: an event key found twice in Rivo, a tier that could not
-- be restored by rollback, a lifetime the model could not represent. Never deleted.
CREATE TABLE problems (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_key TEXT,
  event_key    TEXT,
  kind         TEXT NOT NULL,
  detail       TEXT NOT NULL,
  at           TEXT NOT NULL
) STRICT;
CREATE INDEX problems_customer ON problems(customer_key);
