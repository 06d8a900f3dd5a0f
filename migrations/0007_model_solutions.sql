-- A model's solutions of variants (issue #13): the text as the model wrote it, scored exactly
-- against the variant's answer and labelled step by step by engine::labels::solutions when
-- stored. Solutions come from `POST /api/variants/{id}/solutions` (any model, any client) and
-- from solve jobs (job_id set).
CREATE TABLE model_solutions (
    id             INTEGER PRIMARY KEY,
    variant_id     INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    -- The solve job that asked for it (NULL: stored through the API).
    job_id         INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    -- Who wrote it: the model's name as the caller gives it.
    model          TEXT    NOT NULL,
    prompt_version TEXT    NOT NULL DEFAULT '',
    -- 0-based, per (variant, model), in the order stored.
    sample         INTEGER NOT NULL CHECK (sample >= 0),
    text           TEXT    NOT NULL,
    -- The final answer as written (NULL: none found).
    final_answer   TEXT,
    score          TEXT    NOT NULL CHECK (score IN ('correct', 'wrong', 'unparseable')),
    -- 0-based step of the first -1 label (NULL: none).
    first_error    INTEGER,
    -- JSON [{text, rating, reason}]: the automatic step labels.
    labels         TEXT    NOT NULL,
    created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (variant_id, model, sample)
);

CREATE INDEX model_solutions_by_variant ON model_solutions (variant_id, id);

-- Solve jobs: `jobs.task` takes 'solve' too. SQLite cannot change a column's CHECK in place:
-- add the column anew, copy the tasks over, drop the old one and take over its name (as
-- 0006 did for the verdict outcome).
ALTER TABLE jobs ADD COLUMN task_v2 TEXT NOT NULL DEFAULT 'curriculum'
    CHECK (task_v2 IN ('curriculum', 'verbalize', 'judge', 'extract', 'solve'));
UPDATE jobs SET task_v2 = task;
ALTER TABLE jobs DROP COLUMN task;
ALTER TABLE jobs RENAME COLUMN task_v2 TO task;
