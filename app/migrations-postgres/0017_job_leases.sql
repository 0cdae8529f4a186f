-- Several instances send one database's jobs (issue 20): the instance that
-- takes a job holds a lease on it (`leased_by`, `lease_until`), renewed
-- with each batch it stores; a job `in progress` whose lease has run out
-- (its instance died) is taken over by another, from its cursor. SQLite's
-- one process needs neither.
ALTER TABLE jobs ADD COLUMN leased_by text, ADD COLUMN lease_until timestamptz;
