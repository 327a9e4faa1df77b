-- Issue 11, item 6: a new Yotpo record without a Shopify id is compared by name with the migrated records that left
-- Yotpo (an email edited there reads as a new record). Without this index that is a scan of every customer per record.
CREATE INDEX customers_name ON customers(lower(trim(first_name)), lower(trim(last_name)));
