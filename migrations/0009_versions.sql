-- Versions for the server's response cache (issue #15): a problem's page and its JSON are
-- kept by the server keyed by the problem's `version` and its dataset's, so every write that
-- can change what they show must bump one of them. Triggers do it here, in the database, for
-- every writer (the server, its job runner, `graft` commands on the same file, a restore):
-- a new, changed or deleted variant bumps its problem, any change to a problem row bumps the
-- problem, any change to a dataset row bumps the dataset. A bump the cache did not need (a
-- variant's verdict, which the problem page does not show) only costs one render.
ALTER TABLE problems ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE datasets ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER variants_insert_bumps_problem AFTER INSERT ON variants
BEGIN
    UPDATE problems SET version = version + 1 WHERE id = NEW.problem_id;
END;

CREATE TRIGGER variants_update_bumps_problem AFTER UPDATE ON variants
BEGIN
    UPDATE problems SET version = version + 1 WHERE id IN (OLD.problem_id, NEW.problem_id);
END;

CREATE TRIGGER variants_delete_bumps_problem AFTER DELETE ON variants
BEGIN
    UPDATE problems SET version = version + 1 WHERE id = OLD.problem_id;
END;

-- Any other change to the row (its graph after an extraction, its text); a bump made by the
-- triggers above changes `version` itself and is not counted twice.
CREATE TRIGGER problems_update_bumps_problem AFTER UPDATE ON problems
WHEN NEW.version = OLD.version
BEGIN
    UPDATE problems SET version = version + 1 WHERE id = NEW.id;
END;

-- Its name, visibility, guidelines or review settings.
CREATE TRIGGER datasets_update_bumps_dataset AFTER UPDATE ON datasets
WHEN NEW.version = OLD.version
BEGIN
    UPDATE datasets SET version = version + 1 WHERE id = NEW.id;
END;
