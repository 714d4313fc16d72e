-- 005: data migration. Every project that has files without a contract gets one default contract,
-- whose ceiling is the highest classification among its files; those files are linked to it, and
-- rows that existed before materializations are marked as originals. No other value changes
-- (in particular updated_at is left alone: this is a schema upgrade, not an edit of the files).

WITH levels (classification, rank) AS (
    VALUES ('public', 1), ('internal', 2), ('confidential', 3), ('restricted', 4)
),
uncontracted AS (
    SELECT f.project_id, max(l.rank) AS ceiling_rank
    FROM project_files f
    JOIN levels l ON l.classification = f.data_classification
    WHERE f.boundary_contract_id IS NULL
    GROUP BY f.project_id
)
INSERT INTO data_boundary_contracts (project_id, name, description, max_data_classification, is_default, status)
SELECT u.project_id,
       'Default contract',
       'Created when boundary contracts were introduced, for the files the project already held.',
       l.classification,
       true,
       'active'
FROM uncontracted u
JOIN levels l ON l.rank = u.ceiling_rank
WHERE NOT EXISTS (
    SELECT 1 FROM data_boundary_contracts c WHERE c.project_id = u.project_id AND c.is_default
);

UPDATE project_files f
SET boundary_contract_id = c.contract_id
FROM data_boundary_contracts c
WHERE f.boundary_contract_id IS NULL
  AND c.project_id = f.project_id
  AND c.is_default;

UPDATE project_files
SET representation_type = 'original'
WHERE representation_type IS NULL;
