-- Graft's store: imported datasets, their problems (with the extracted graph or why there is
-- none), variants with lineage, and curriculum jobs.
--
-- Times are UTC text (`2025-01-31T12:00:00.000Z`). Graphs and interventions are the engine's
-- serde JSON. 64-bit seeds are stored as the signed integer with the same bits.

CREATE TABLE datasets (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE problems (
    id              INTEGER PRIMARY KEY,
    dataset_id      INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    -- 1-based line of the row in the imported file.
    line            INTEGER NOT NULL,
    -- The row's own "id" field, when it had one.
    external_id     TEXT,
    question        TEXT    NOT NULL,
    -- The row exactly as imported.
    source          TEXT    NOT NULL,
    -- engine::Graph JSON; NULL when extraction failed (then error_category says why).
    graph           TEXT,
    error_category  TEXT,
    error_detail    TEXT,
    depth           INTEGER,
    answer          TEXT,
    share_token     TEXT    NOT NULL UNIQUE,
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((graph IS NULL) = (error_category IS NOT NULL)),
    CHECK ((graph IS NULL) = (depth IS NULL) AND (graph IS NULL) = (answer IS NULL))
);

CREATE INDEX problems_by_dataset ON problems (dataset_id, id);
-- Extracted problems of a dataset in id order (jobs, histograms).
CREATE INDEX problems_extracted ON problems (dataset_id, id) WHERE depth IS NOT NULL;

CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL DEFAULT 'curriculum' CHECK (kind IN ('curriculum')),
    dataset_id        INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    -- One problem only, or (NULL) every extracted problem of the dataset.
    problem_id        INTEGER REFERENCES problems (id) ON DELETE CASCADE,
    -- {"rounds": 1..8, "per_problem": 1..50, "seed": u64}
    params            TEXT    NOT NULL,
    state             TEXT    NOT NULL DEFAULT 'queued'
                              CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- Problems processed so far, and the id of the last one (problems go in id order).
    done              INTEGER NOT NULL DEFAULT 0,
    cursor            INTEGER NOT NULL DEFAULT 0,
    total             INTEGER NOT NULL,
    variants_made     INTEGER NOT NULL DEFAULT 0,
    -- Problems the engine could not process (the job goes on without them).
    problems_failed   INTEGER NOT NULL DEFAULT 0,
    -- Why the job failed, or the last problem failure.
    error             TEXT,
    created_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX jobs_by_state ON jobs (state, id);
CREATE INDEX jobs_by_dataset ON jobs (dataset_id, id);

CREATE TABLE variants (
    id                 INTEGER PRIMARY KEY,
    problem_id         INTEGER NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
    -- The variant this one was made from; NULL when made from the problem itself.
    parent_variant_id  INTEGER REFERENCES variants (id) ON DELETE CASCADE,
    -- JSON Vec<engine::intervene::Intervention>: the changes from the parent to this variant.
    operations         TEXT    NOT NULL,
    seed               INTEGER,
    -- Steps from the problem: 1 for a child of the problem, parent's round + 1 otherwise
    -- (for a curriculum variant, its round).
    round              INTEGER NOT NULL CHECK (round >= 1),
    -- The curriculum chain (0-based) within its problem, for variants made by a job.
    chain              INTEGER,
    graph              TEXT    NOT NULL,
    depth              INTEGER NOT NULL,
    answer             TEXT    NOT NULL,
    share_token        TEXT    NOT NULL UNIQUE,
    job_id             INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    review_status      TEXT    NOT NULL DEFAULT 'unreviewed',
    created_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((job_id IS NULL) OR (chain IS NOT NULL))
);

CREATE INDEX variants_by_problem ON variants (problem_id, id);
CREATE INDEX variants_by_parent ON variants (parent_variant_id);
-- A job makes each (problem, chain, round) at most once, even across restarts.
CREATE UNIQUE INDEX variants_job_once ON variants (job_id, problem_id, chain, round)
    WHERE job_id IS NOT NULL;
