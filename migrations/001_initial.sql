-- The migration DB: one file per migration, holding everything needed to resume, report and roll back.
-- Amounts are integers: points as whole points, store credit in cents.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- One row per Yotpo customer record read, by API or CSV. The Yotpo values are the latest extraction's.
CREATE TABLE customers (
  key                  TEXT PRIMARY KEY,            -- stable record key (extract/record-key.ts)
  seq                  INTEGER NOT NULL UNIQUE,     -- order first read: --limit and reports follow it
  source               TEXT NOT NULL,               -- 'api' or 'csv'
  email                TEXT,
  email_norm           TEXT,                        -- trimmed, lower-cased
  third_party_id       TEXT,
  first_name           TEXT,
  last_name            TEXT,
  points_balance       INTEGER,                     -- null when invalid
  points_earned        INTEGER,
  credit_cents         INTEGER,
  tier_name            TEXT,
  birthday_month       INTEGER,
  birth_day            INTEGER,
  birthday_year        INTEGER,
  opted_in             INTEGER,                     -- 0/1/null
  last_activity_at     TEXT,
  raw_json             TEXT NOT NULL,               -- the record as received, for the reports and for re-validation
  values_hash          TEXT NOT NULL,               -- hash of the migrated values: a change means a delta is owed
  invalid_reason       TEXT,                        -- set when the record cannot be migrated as read
  extracted_at         TEXT NOT NULL,
  -- Migration state (only src/ledger/ writes these).
  state                TEXT NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending','migrated','nothing_to_migrate','unmatched','conflict','rejected','invalid')),
  state_reason         TEXT,
  state_changed_at     TEXT,
  planned_hash         TEXT,                        -- values_hash the current plan was made from
  -- Rivo as first observed, before anything was posted for this customer; never overwritten after that.
  rivo_id              TEXT,
  rivo_email           TEXT,
  rivo_points_before   INTEGER,
  rivo_lifetime_before INTEGER,
  rivo_credits_before  INTEGER,
  rivo_tier_before     TEXT,                        -- tier id
  rivo_tier_name_before TEXT,
  rivo_dob_before      TEXT,
  rivo_seen_at         TEXT,
  plan_notes           TEXT                         -- JSON array of warnings the mapper attached (lifetime inexact, unmapped tier…)
) STRICT;

CREATE INDEX customers_state ON customers(state, seq);
CREATE INDEX customers_rivo ON customers(rivo_id);
CREATE INDEX customers_email ON customers(email_norm);
CREATE INDEX customers_tpid ON customers(third_party_id);

-- The ledger: every write the migration owes or has made to Rivo, keyed by its deterministic event key.
CREATE TABLE events (
  key              TEXT PRIMARY KEY,                -- also written into internal_note as "[key]"
  customer_key     TEXT NOT NULL REFERENCES customers(key),
  rivo_id          TEXT NOT NULL,                   -- the Rivo customer identifier it is sent to
  kind             TEXT NOT NULL CHECK (kind IN ('points','tier','birthday')),
  role             TEXT NOT NULL,
  generation       INTEGER NOT NULL,
  points_amount    INTEGER NOT NULL DEFAULT 0,
  credits_cents    INTEGER NOT NULL DEFAULT 0,
  value            TEXT,                            -- tier id or dob
  applied_at       TEXT,
  internal_note    TEXT NOT NULL,
  external_note    TEXT,
  status           TEXT NOT NULL DEFAULT 'planned'
                     CHECK (status IN ('planned','in_flight','uncertain','done','rejected','cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  batch_id         TEXT,                            -- the request it last left in
  rivo_event_id    TEXT,
  last_error       TEXT,                            -- status and truncated body; never request headers
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  done_at          TEXT
) STRICT;

CREATE INDEX events_status ON events(status, customer_key);
CREATE INDEX events_customer ON events(customer_key, generation);
CREATE INDEX events_batch ON events(batch_id);

-- Extraction cursors, one row per source (a list endpoint or a CSV file), committed with each page's customers.
CREATE TABLE extract_cursors (
  source         TEXT PRIMARY KEY,                  -- 'api:recent', 'api:all', 'csv:<path>'
  cursor         TEXT,                              -- next page_info, next page number, or next row index
  pages_read     INTEGER NOT NULL DEFAULT 0,
  records_read   INTEGER NOT NULL DEFAULT 0,
  total_pages    INTEGER,
  done           INTEGER NOT NULL DEFAULT 0,
  started_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;

-- Rivo's VIP tiers as last listed.
CREATE TABLE rivo_tiers (
  id    TEXT PRIMARY KEY,
  name  TEXT NOT NULL,
  raw_json TEXT NOT NULL
) STRICT;

-- One row per command run against this DB: status and reports read it.
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  command     TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  ended_at    TEXT,
  outcome     TEXT,                                 -- 'ok', 'attention', 'failed', or null while running / killed
  error       TEXT,
  yotpo_requests INTEGER NOT NULL DEFAULT 0,
  rivo_requests  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Who holds the DB. A row whose pid is not alive on this host is stale and may be taken over.
CREATE TABLE lock (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  pid         INTEGER NOT NULL,
  hostname    TEXT NOT NULL,
  command     TEXT NOT NULL,
  acquired_at TEXT NOT NULL
) STRICT;
