-- 003: data boundary contracts. A contract says what may be materialized from a project's files:
-- which representation types, up to which classification, into which workspaces.

CREATE TABLE data_boundary_contracts (
    contract_id                  UUID        NOT NULL DEFAULT gen_random_uuid(),
    project_id                   UUID        NOT NULL,
    name                         TEXT        NOT NULL,
    description                  TEXT,
    -- empty = any representation type
    allowed_representation_types TEXT[]      DEFAULT ARRAY[]::TEXT[],
    -- the classification ceiling
    max_data_classification      TEXT        NOT NULL DEFAULT 'internal',
    retention_days               INTEGER,
    -- {"workspace_ids": [...]}; filled for existing contracts by 006
    scope                        JSONB       NOT NULL DEFAULT '{}',
    is_default                   BOOLEAN     NOT NULL DEFAULT false,
    status                       TEXT        NOT NULL DEFAULT 'active',
    created_at                   TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                   TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT data_boundary_contracts_pkey PRIMARY KEY (contract_id),
    CONSTRAINT data_boundary_contracts_max_data_classification_check
        CHECK (max_data_classification IN ('public', 'internal', 'confidential', 'restricted')),
    CONSTRAINT data_boundary_contracts_status_check CHECK (status IN ('active', 'retired')),
    CONSTRAINT data_boundary_contracts_retention_days_check CHECK (retention_days IS NULL OR retention_days > 0),
    CONSTRAINT data_boundary_contracts_scope_object_check CHECK (jsonb_typeof(scope) = 'object'),
    CONSTRAINT data_boundary_contracts_name_check CHECK (length(btrim(name)) > 0)
);

CREATE UNIQUE INDEX data_boundary_contracts_project_id_name_key ON data_boundary_contracts (project_id, name);
CREATE INDEX data_boundary_contracts_project_id_status_idx ON data_boundary_contracts (project_id, status);
-- At most one default contract per project. A partial index, which schema.prisma cannot express.
CREATE UNIQUE INDEX data_boundary_contracts_one_default_per_project
    ON data_boundary_contracts (project_id) WHERE is_default;
