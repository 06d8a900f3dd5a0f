-- Graft store, step 5 (issue #11): worked solutions, and model work done through batch files.

-- The variant's worked solution in GSM8K style (one sentence per step with `<<a*b=c>>`
-- annotations and a final `#### answer`): the model's, validated by re-extraction, or the
-- engine's offline one. NULL when none could be written.
ALTER TABLE variants ADD COLUMN solution TEXT;

-- Every request `graft words requests` wrote: its custom_id (variant, kind, fingerprint of what
-- the reply depends on, try), and the exact body, so that `graft words results` records the
-- request a reply answers and refuses replies to requests this database never made.
CREATE TABLE batch_requests (
    custom_id       TEXT    PRIMARY KEY,
    variant_id      INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    -- 'verbalize', 'solve' or 'rate' (the last two are the judge's two calls).
    kind            TEXT    NOT NULL CHECK (kind IN ('verbalize', 'solve', 'rate')),
    fingerprint     TEXT    NOT NULL,
    prompt_version  TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    -- The request body (JSON), exactly as written to the file.
    body            TEXT    NOT NULL,
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX batch_requests_by_variant ON batch_requests (variant_id, kind);

-- A call answered through a batch file: the request's custom_id and the reply line's own id.
-- Live calls have NULL here. The pair is unique, so reading the same results file twice
-- stores each reply once.
ALTER TABLE llm_calls ADD COLUMN batch_custom_id TEXT;
ALTER TABLE llm_calls ADD COLUMN batch_reply_id TEXT;
CREATE UNIQUE INDEX llm_calls_by_batch_reply ON llm_calls (batch_custom_id, batch_reply_id)
    WHERE batch_custom_id IS NOT NULL;
