-- 006: data migration. A contract's scope.workspace_ids becomes the workspaces of the files linked
-- to it (merged with any it already lists). A contract none of whose files has a workspace keeps
-- no workspace_ids key, which means "any workspace of the project".

WITH linked AS (
    SELECT c.contract_id,
           (
               SELECT jsonb_agg(DISTINCT w ORDER BY w)
               FROM (
                   SELECT f.workspace_id::text AS w
                   FROM project_files f
                   WHERE f.boundary_contract_id = c.contract_id AND f.workspace_id IS NOT NULL
                   UNION
                   SELECT jsonb_array_elements_text(
                       CASE WHEN jsonb_typeof(c.scope -> 'workspace_ids') = 'array'
                            THEN c.scope -> 'workspace_ids' ELSE '[]'::jsonb END)
               ) ws
           ) AS workspace_ids
    FROM data_boundary_contracts c
)
UPDATE data_boundary_contracts c
SET scope = jsonb_set(c.scope, '{workspace_ids}', linked.workspace_ids),
    updated_at = CURRENT_TIMESTAMP
FROM linked
WHERE linked.contract_id = c.contract_id
  AND linked.workspace_ids IS NOT NULL
  AND c.scope -> 'workspace_ids' IS DISTINCT FROM linked.workspace_ids;
