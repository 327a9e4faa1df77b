-- The planner's first pass: which Rivo customer each Yotpo record would match on its own. Records sharing a
-- Rivo customer are then resolved together (conflicts), without holding every customer in memory.
CREATE TABLE match_candidates (
  customer_key TEXT PRIMARY KEY REFERENCES customers(key),
  rivo_id      TEXT NOT NULL,
  explicit     INTEGER NOT NULL
) STRICT;
CREATE INDEX match_candidates_rivo ON match_candidates(rivo_id);
