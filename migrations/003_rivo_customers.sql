-- Rivo customers as listed (or fetched) by the planner: matching a million Yotpo records against them is a query,
-- not a map in memory. Refreshed on every plan; the per-customer "before" values live in customers.rivo_*_before.
CREATE TABLE rivo_customers (
  id            TEXT PRIMARY KEY,
  email_norm    TEXT,
  email         TEXT,
  points_tally  INTEGER NOT NULL,
  lifetime      INTEGER,
  credits_cents INTEGER NOT NULL,
  tier_id       TEXT,
  tier_name     TEXT,
  dob           TEXT,
  loyalty_status TEXT,
  seen_at       TEXT NOT NULL
) STRICT;
CREATE INDEX rivo_customers_email ON rivo_customers(email_norm);

-- Customers known absent from Rivo by a direct lookup (so `get` lookups are not repeated within one plan).
ALTER TABLE customers ADD COLUMN rivo_lookup_at TEXT;
