-- 004: boundary contract support on project_files. Additive and safe on a table that already
-- holds data: every column is nullable and added only if missing. Needs 003 (the foreign key).

ALTER TABLE project_files
    ADD COLUMN IF NOT EXISTS boundary_contract_id UUID
        CONSTRAINT project_files_boundary_contract_id_fkey
        REFERENCES data_boundary_contracts (contract_id) ON DELETE NO ACTION ON UPDATE NO ACTION,
    -- original, parquet, csv, preview, thumbnail, embedding, ...
    ADD COLUMN IF NOT EXISTS representation_type TEXT,
    -- {workspace_id, session_id, materialized_at, materialized_by, ...caller keys}.
    -- session_id lives here and nowhere else: it is a runtime concept, not a column.
    ADD COLUMN IF NOT EXISTS materialization_scope JSONB;

CREATE INDEX IF NOT EXISTS project_files_boundary_contract_id_idx ON project_files (boundary_contract_id);
