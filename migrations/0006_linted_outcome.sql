-- The verdict tells the truth (issue #11): an offline verdict (no model judged it) is at best
-- 'linted' (exact execution, numbers consistent and the well-posedness lint passed), never
-- 'pass'; 'pass' needs an independent solve that agreed.
--
-- SQLite cannot change a column's CHECK constraint in place: add the column anew, copy the
-- outcomes over (an offline 'pass' stored before the lint existed becomes 'linted'), drop the
-- old one (and its index) and take over its name.
ALTER TABLE variants ADD COLUMN verdict_outcome_v2 TEXT
    CHECK (verdict_outcome_v2 IN ('pass', 'linted', 'fail', 'incomplete'));
UPDATE variants SET verdict_outcome_v2 = CASE
    WHEN verdict_outcome = 'pass' AND json_type(verdict, '$.llm') IS NULL THEN 'linted'
    ELSE verdict_outcome
END;
DROP INDEX variants_by_outcome;
ALTER TABLE variants DROP COLUMN verdict_outcome;
ALTER TABLE variants RENAME COLUMN verdict_outcome_v2 TO verdict_outcome;
CREATE INDEX variants_by_outcome ON variants (verdict_outcome, id);
