-- A test key's message gets its outcome when it is stored
-- (`domain::simulated::test_key_outcome`, in Rust, for every backend), and the
-- test-key delivery only applies it: the rule was a SQL `CASE` in that
-- statement (issue 20). NULL: delivered (and every message not of a test key).
ALTER TABLE notifications ADD COLUMN test_outcome TEXT;
-- Test-key messages still waiting keep the outcome the old statement gave
-- (precompiled letters still being checked are delivered: NULL).
UPDATE notifications SET test_outcome = CASE
    WHEN recipient LIKE '%7700900003' OR lower(recipient) = 'temp-fail@simulator.notify' THEN 'temporary-failure'
    WHEN recipient LIKE '%7700900002' OR lower(recipient) = 'perm-fail@simulator.notify' THEN 'permanent-failure'
    ELSE NULL END
WHERE status = 'created' AND key_type = 'test';
