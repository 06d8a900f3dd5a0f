-- A model's solutions as label items (issue #13): annotators label the model's own steps, the
-- automatic labels (model_solutions.labels) shown as suggestions. Such an item has solution_id
-- set and empty `steps` ('[]'): its steps are the solution's lines, in the order of
-- model_solutions.labels, and step_labels.step indexes them. Human labels of solution S are
-- the step_labels of the finished annotations of the item whose solution_id is S.
ALTER TABLE label_items ADD COLUMN solution_id INTEGER
    REFERENCES model_solutions (id) ON DELETE CASCADE;

-- One real item per variant (its canonical steps), one item per model solution.
DROP INDEX label_items_real_once;
CREATE UNIQUE INDEX label_items_real_once ON label_items (variant_id)
    WHERE gold_first_error IS NULL AND solution_id IS NULL;
CREATE UNIQUE INDEX label_items_solution_once ON label_items (solution_id)
    WHERE solution_id IS NOT NULL;
