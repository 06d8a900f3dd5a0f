-- Accounts, review and step-level annotation (issue #5): users with roles, dataset settings
-- (visibility, guidelines, overlap, gold rate), review decisions with their history, and step
-- labels on label items (a variant's solution, or a corrupted chain used as a gold question).
-- Sessions live in `tower_sessions`, made by tower-sessions-sqlx-store at start.

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE COLLATE NOCASE
                           CHECK (length(trim(name)) BETWEEN 1 AND 64),
    -- argon2 PHC string; NULL: the account cannot log in (an annotator brought in by an
    -- import, until an admin sets a password).
    password_hash  TEXT,
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'annotator', 'viewer')),
    created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Who may read a dataset without logging in ('public'), else logged-in users only.
ALTER TABLE datasets ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private'
    CHECK (visibility IN ('public', 'private'));
-- Datasets stored before accounts existed were readable by everyone: they stay so.
UPDATE datasets SET visibility = 'public';
-- What reviewers and annotators read beside each item (plain text).
ALTER TABLE datasets ADD COLUMN guidelines TEXT NOT NULL DEFAULT '';
-- How many annotators label each item.
ALTER TABLE datasets ADD COLUMN overlap INTEGER NOT NULL DEFAULT 2 CHECK (overlap BETWEEN 1 AND 10);
-- The share of an annotator's items that are gold questions (corrupted chains).
ALTER TABLE datasets ADD COLUMN gold_rate REAL NOT NULL DEFAULT 0.1
    CHECK (gold_rate >= 0 AND gold_rate <= 0.5);

-- The review decision ('unreviewed', 'accepted', 'rejected') is variants.review_status; its
-- reason, who decided and when sit beside it; every decision is also kept in review_events.
ALTER TABLE variants ADD COLUMN review_reason TEXT;
ALTER TABLE variants ADD COLUMN reviewed_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE variants ADD COLUMN reviewed_at TEXT;
-- Set when a reviewer edited the text (text_source stays what wrote the first text).
ALTER TABLE variants ADD COLUMN text_edited_by INTEGER REFERENCES users (id) ON DELETE SET NULL;

CREATE INDEX variants_by_review ON variants (review_status, id);

CREATE TABLE review_events (
    id           INTEGER PRIMARY KEY,
    variant_id   INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    decision     TEXT    NOT NULL CHECK (decision IN ('accept', 'reject', 'edit', 'reset')),
    reason       TEXT,
    -- For an edit: the text it replaced.
    text_before  TEXT,
    -- Set for decisions made in bulk (one id per bulk action).
    bulk         INTEGER,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX review_events_by_variant ON review_events (variant_id, id);

-- Something an annotator labels step by step: a variant's solution (gold_first_error NULL), or
-- a corrupted chain made from it by the engine, whose first wrong step is known and hidden.
CREATE TABLE label_items (
    id                INTEGER PRIMARY KEY,
    dataset_id        INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    variant_id        INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    -- JSON Vec<engine::labels::StepLabel>: the steps shown, in order.
    steps             TEXT    NOT NULL,
    -- Gold questions: the index of the first wrong step, and how it was corrupted.
    gold_first_error  INTEGER,
    gold_detail       TEXT,
    created_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX label_items_by_dataset ON label_items (dataset_id, id);
-- One real item per variant.
CREATE UNIQUE INDEX label_items_real_once ON label_items (variant_id)
    WHERE gold_first_error IS NULL;

-- One annotator's work on one item.
CREATE TABLE annotations (
    id             INTEGER PRIMARY KEY,
    item_id        INTEGER NOT NULL REFERENCES label_items (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    flagged        INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    flag_note      TEXT,
    finish_reason  TEXT    CHECK (finish_reason IN
                           ('solution_correct', 'found_error', 'bad_problem', 'gave_up')),
    finished_at    TEXT,
    created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (item_id, user_id),
    CHECK ((finish_reason IS NULL) = (finished_at IS NULL))
);

CREATE INDEX annotations_by_user ON annotations (user_id, item_id);

-- One rating of one step: 1 correct, 0 neutral or unclear, -1 wrong; NULL unrated.
CREATE TABLE step_labels (
    annotation_id  INTEGER NOT NULL REFERENCES annotations (id) ON DELETE CASCADE,
    step           INTEGER NOT NULL CHECK (step >= 0),
    rating         INTEGER CHECK (rating IN (-1, 0, 1)),
    PRIMARY KEY (annotation_id, step)
) WITHOUT ROWID;
