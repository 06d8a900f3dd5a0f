-- Graft store, step 4: why each failed item of a job failed.
--
-- A job goes on past an item (a problem of a curriculum or extract job, a variant of a
-- verbalize or judge job) that the engine refuses, that runs past its time budget or on
-- which the engine panics; `jobs.problems_failed` counts them and `jobs.error` keeps the
-- last reason. This table keeps every reason, one row per failed item, written in the same
-- transaction as the job's progress. Older databases simply have no rows for their jobs.

CREATE TABLE job_failures (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    -- The problem's id (curriculum, extract) or the variant's (verbalize, judge).
    item_id     INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (job_id, item_id)
);

CREATE INDEX job_failures_by_job ON job_failures (job_id, id);
