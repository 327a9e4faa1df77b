-- Issue 11: a migration's identity and a lock that knows its holder.

-- The holder's process start time (Linux /proc/<pid>/stat field 22, clock ticks since boot), so a pid recycled by
-- another process is not mistaken for the holder. Null where /proc is missing, or for a lock taken by an older version.
ALTER TABLE lock ADD COLUMN pid_start TEXT;

-- What this DB knows of the Rivo store it writes to: one row per Rivo base URL (the store itself is chosen by the
-- API key, a secret that is never stored, not even hashed). A row means the store was scanned for events of an
-- earlier migration before this DB first wrote to it, or this DB has already written there.
CREATE TABLE store_identity (
  rivo_base_url   TEXT PRIMARY KEY,
  yotpo_base_url  TEXT,
  checked_at      TEXT NOT NULL,
  how             TEXT NOT NULL,                   -- 'scan' (scanned, nothing found), 'history' (DB already wrote here), 'adopt'
  scan_requests   INTEGER NOT NULL DEFAULT 0,
  scan_events     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Yotpo record keys that continue another record's migration: an email edited in Yotpo gives the record a new key
-- (extract/record-key.ts), and the new key is read into the row of the customer it continues.
CREATE TABLE customer_aliases (
  record_key   TEXT PRIMARY KEY,
  customer_key TEXT NOT NULL REFERENCES customers(key),
  reason       TEXT NOT NULL,
  at           TEXT NOT NULL
) STRICT;

-- The extraction pass that last read each record (meta `extract_pass`): a record an earlier pass read and the latest
-- complete pass did not is gone from Yotpo under that key (an edited email), which is how its continuation is known.
ALTER TABLE customers ADD COLUMN seen_pass TEXT;

-- Which records sent events to a Rivo customer: a record about to credit a Rivo customer that already received this
-- migration's events under another record is held (planner), whatever became of that other record.
CREATE INDEX events_rivo ON events(rivo_id) WHERE status IN ('in_flight','uncertain','done');
