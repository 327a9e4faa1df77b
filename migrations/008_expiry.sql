-- Expiry (issue 15): Yotpo's `points_expire_at` per customer, and the `expires_at` an earn event carries.

-- As read from Yotpo: an ISO 8601 instant when it is a date; the text as given when it is not (the extractor warns
-- and the planner notes it, so the plan can say which customer's date was unusable). Null when Yotpo has none.
ALTER TABLE customers ADD COLUMN points_expire_at TEXT;

-- Sent as `expires_at` on this event (only the migrated earn event, and only as `mapping.expiry` decides).
ALTER TABLE events ADD COLUMN expires_at TEXT;
