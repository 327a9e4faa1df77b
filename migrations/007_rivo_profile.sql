-- What `pilot` measured about this Rivo store (src/rivo/profile.ts), and the pilot's own writes.

-- The store's profile: one row, replaced by each pilot run. `assumptions_json` is the pilot's full answer
-- (status, observed, setting per assumption) for the report; `profile_json` is the RivoProfile later commands read.
CREATE TABLE rivo_profile (
  id                  INTEGER PRIMARY KEY CHECK (id = 1),
  customer            TEXT NOT NULL,                -- the pilot customer as the merchant named it
  rivo_customer_id    TEXT NOT NULL,
  profile_json        TEXT NOT NULL,
  assumptions_json    TEXT NOT NULL,
  measured_at         TEXT NOT NULL,
  checklist_json      TEXT NOT NULL DEFAULT '[]',   -- what to pause before the real run, as said at pilot time
  email_probe_key     TEXT,                         -- the batch event the person is asked to check their inbox for
  email_probe_sent_at TEXT,
  email_answer        TEXT CHECK (email_answer IN ('silent','emails')),
  email_answered_at   TEXT
) STRICT;

-- Every write the pilot makes to its customer, intent first (exactly once, like the migration's ledger). A write
-- that landed is compensated by another row whose `compensates` names it; both carry keys in internal_note.
CREATE TABLE pilot_events (
  key            TEXT PRIMARY KEY,
  generation     INTEGER NOT NULL UNIQUE,
  rivo_id        TEXT NOT NULL,                     -- the Rivo customer identifier it is sent to
  probe          TEXT NOT NULL,
  via            TEXT NOT NULL CHECK (via IN ('single','batch')),
  points_amount  INTEGER NOT NULL DEFAULT 0,
  credits_cents  INTEGER NOT NULL DEFAULT 0,
  body_json      TEXT NOT NULL,                     -- the item as sent
  compensates    TEXT REFERENCES pilot_events(key),
  status         TEXT NOT NULL CHECK (status IN ('in_flight','uncertain','done','refused','absent')),
  rivo_event_id  TEXT,
  last_error     TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;

CREATE INDEX pilot_events_compensates ON pilot_events(compensates);
