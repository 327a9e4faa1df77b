-- History replay (issue 15): each customer's Yotpo history as read once with `with_history=true`, and what the
-- planner made of it.

-- One row per customer looked up. `values_hash` is the customer's values when it was read: a lookup is redone only
-- when they change. status: `found` (items below), `not_found` (Yotpo answered 404), `unreadable` (an item failed
-- validation: `reason` names the item and field), `failed` (the request failed after its retries: tried again on
-- the next run).
CREATE TABLE history_lookups (
  customer_key TEXT PRIMARY KEY REFERENCES customers(key),
  values_hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('found','not_found','unreadable','failed')),
  reason TEXT,
  item_count INTEGER NOT NULL DEFAULT 0,
  looked_up_at TEXT NOT NULL
);

-- The items of a `found` lookup, in Yotpo's order (`idx` from 0). `raw_json` keeps the item as Yotpo sent it.
CREATE TABLE history_items (
  customer_key TEXT NOT NULL REFERENCES history_lookups(customer_key) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  created_at TEXT,
  date TEXT,
  action TEXT,
  action_name TEXT,
  points INTEGER NOT NULL,
  status TEXT,
  completed_at TEXT,
  raw_json TEXT NOT NULL,
  PRIMARY KEY (customer_key, idx)
);

-- What the planner decided for the customer: `replayed (N events)`, `fallback: <reason>`; null when history is off.
ALTER TABLE customers ADD COLUMN history_status TEXT;
