-- Words in and out (issue #4): variants' problem texts and verdicts, problems' model-written
-- programs, the record of every LLM call, and batch jobs that verbalize, judge or extract.

-- The variant's problem text, who wrote it ('offline' verbalizer or 'llm'), why a model's text
-- was not used (when one was asked), and what the offline verbalizer could not say (JSON list).
ALTER TABLE variants ADD COLUMN text TEXT;
ALTER TABLE variants ADD COLUMN text_source TEXT CHECK (text_source IN ('offline', 'llm'));
ALTER TABLE variants ADD COLUMN text_fallback TEXT;
ALTER TABLE variants ADD COLUMN text_notes TEXT;
-- engine::verdict::Verdict JSON, and its one-word outcome for filters.
ALTER TABLE variants ADD COLUMN verdict TEXT;
ALTER TABLE variants ADD COLUMN verdict_outcome TEXT
    CHECK (verdict_outcome IN ('pass', 'fail', 'incomplete'));
-- The last LLM failure on this variant (an outage; the item waits for a resumed job).
ALTER TABLE variants ADD COLUMN llm_error TEXT;

CREATE INDEX variants_by_outcome ON variants (verdict_outcome, id);

-- A program written by a model for a problem that had none the engine could read.
ALTER TABLE problems ADD COLUMN llm_program TEXT;

-- What a job does. `kind` (always 'curriculum') predates this column and is kept as is.
ALTER TABLE jobs ADD COLUMN task TEXT NOT NULL DEFAULT 'curriculum'
    CHECK (task IN ('curriculum', 'verbalize', 'judge', 'extract'));
-- HTTP requests to the model so far (the budget is in params).
ALTER TABLE jobs ADD COLUMN requests_used INTEGER NOT NULL DEFAULT 0;
-- A per-job API key; read only to make requests, never into a job's status or an export.
ALTER TABLE jobs ADD COLUMN llm_api_key TEXT;

-- Every call to a model: what was asked, what came back, how long it took.
CREATE TABLE llm_calls (
    id                 INTEGER PRIMARY KEY,
    variant_id         INTEGER REFERENCES variants (id) ON DELETE CASCADE,
    problem_id         INTEGER REFERENCES problems (id) ON DELETE CASCADE,
    job_id             INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    -- 'verbalize', 'judge' or 'extract'.
    purpose            TEXT    NOT NULL,
    prompt_version     TEXT    NOT NULL,
    model              TEXT    NOT NULL,
    base_url           TEXT    NOT NULL,
    -- The request body as sent (JSON; keys travel in a header and are never stored).
    request            TEXT    NOT NULL,
    -- The last raw response body, its HTTP status, the assistant's text, or why there is none.
    response           TEXT,
    status             INTEGER,
    content            TEXT,
    error              TEXT,
    latency_ms         INTEGER NOT NULL,
    attempts           INTEGER NOT NULL,
    -- JSON list: what went wrong on each retried attempt.
    retries            TEXT,
    prompt_tokens      INTEGER,
    completion_tokens  INTEGER,
    created_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX llm_calls_by_variant ON llm_calls (variant_id, id);
CREATE INDEX llm_calls_by_problem ON llm_calls (problem_id, id);
