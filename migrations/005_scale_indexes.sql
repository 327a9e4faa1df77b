-- Indexes the resume, load-summary and report queries need on a million customers (issue 7). Both are partial: they
-- hold only the few rows those queries look for, so they cost next to nothing to keep up.

-- Customers read but not planned on their current values: `migrate` counts them while extraction runs, and every
-- plan pass over changed customers reads them. Without it both scan the whole customers table.
CREATE INDEX customers_unplanned ON customers(seq) WHERE planned_hash IS NULL OR planned_hash <> values_hash;

-- Events carrying an error note (a duplicate found by read-back, a refusal, the last failure of a pending write):
-- every load summary and `status` list the duplicates, which otherwise means reading every done event.
CREATE INDEX events_errors ON events(status, last_error) WHERE last_error IS NOT NULL;
