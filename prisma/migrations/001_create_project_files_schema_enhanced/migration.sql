-- 001: the base file-metadata schema. Deployed by hand before Prisma Migrate was adopted; a database
-- that already holds it is baselined (npm run db:baseline) rather than migrated.
-- There is deliberately no session_id column: a session is a runtime concept (see 004's
-- materialization_scope).

CREATE TABLE project_files (
    -- identity
    file_uuid               UUID        NOT NULL DEFAULT gen_random_uuid(),
    project_id              UUID        NOT NULL,
    workspace_id            UUID,

    -- metadata
    ui_name                 TEXT        NOT NULL,
    file_path               TEXT        NOT NULL,
    file_type               TEXT,
    mime_type               TEXT,
    file_size_bytes         BIGINT,
    checksum_sha256         TEXT,
    storage_backend         TEXT,
    metadata                JSONB       NOT NULL DEFAULT '{}',
    created_by              TEXT,
    created_at              TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at              TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at              TIMESTAMPTZ(6),

    -- processing
    processing_status       TEXT        NOT NULL DEFAULT 'pending',
    processing_errors       JSONB       NOT NULL DEFAULT '[]',
    processing_started_at   TIMESTAMPTZ(6),
    processing_completed_at TIMESTAMPTZ(6),

    -- lineage
    root_file_uuid          UUID,
    parent_file_uuid        UUID,
    lineage_depth           INTEGER     NOT NULL DEFAULT 0,

    -- security / compliance
    access_level            TEXT        NOT NULL DEFAULT 'private',
    permissions             JSONB       NOT NULL DEFAULT '{}',
    data_classification     TEXT        NOT NULL DEFAULT 'internal',

    CONSTRAINT project_files_pkey PRIMARY KEY (file_uuid),
    CONSTRAINT project_files_parent_file_uuid_fkey
        FOREIGN KEY (parent_file_uuid) REFERENCES project_files (file_uuid) ON DELETE NO ACTION ON UPDATE NO ACTION,
    CONSTRAINT project_files_root_file_uuid_fkey
        FOREIGN KEY (root_file_uuid) REFERENCES project_files (file_uuid) ON DELETE NO ACTION ON UPDATE NO ACTION,
    CONSTRAINT project_files_processing_status_check
        CHECK (processing_status IN ('pending', 'processing', 'completed', 'failed', 'skipped')),
    CONSTRAINT project_files_access_level_check
        CHECK (access_level IN ('public', 'internal', 'workspace', 'private')),
    CONSTRAINT project_files_data_classification_check
        CHECK (data_classification IN ('public', 'internal', 'confidential', 'restricted')),
    CONSTRAINT project_files_lineage_depth_check CHECK (lineage_depth >= 0),
    CONSTRAINT project_files_file_size_bytes_check CHECK (file_size_bytes IS NULL OR file_size_bytes >= 0),
    CONSTRAINT project_files_not_own_parent_check CHECK (parent_file_uuid IS DISTINCT FROM file_uuid),
    CONSTRAINT project_files_metadata_object_check CHECK (jsonb_typeof(metadata) = 'object'),
    CONSTRAINT project_files_permissions_object_check CHECK (jsonb_typeof(permissions) = 'object'),
    CONSTRAINT project_files_processing_errors_array_check CHECK (jsonb_typeof(processing_errors) = 'array')
);

-- listing a project's files newest-first / oldest-first with a keyset on the id
CREATE INDEX project_files_project_id_created_at_file_uuid_idx ON project_files (project_id, created_at, file_uuid);
CREATE INDEX project_files_created_at_file_uuid_idx ON project_files (created_at, file_uuid);
CREATE INDEX project_files_workspace_id_idx ON project_files (workspace_id);
CREATE INDEX project_files_processing_status_idx ON project_files (processing_status);
-- lineage: children of a file; a whole tree (or its first N levels) in one index range scan
CREATE INDEX project_files_parent_file_uuid_idx ON project_files (parent_file_uuid);
CREATE INDEX project_files_root_file_uuid_lineage_depth_file_uuid_idx ON project_files (root_file_uuid, lineage_depth, file_uuid);
