-- 007: processing attempts, and idempotency keys for materializations. Additive: a NOT NULL
-- column with a constant default is a catalog-only change, and the key is nullable.

ALTER TABLE "project_files"
    -- how many times processing has started: the attempt number recorded with each error
    ADD COLUMN "processing_attempts" INTEGER NOT NULL DEFAULT 0
        CONSTRAINT "project_files_processing_attempts_check" CHECK ("processing_attempts" >= 0),
    -- the key a worker sends with registerMaterialization: a retry with it returns the same row
    ADD COLUMN "idempotency_key" TEXT
        CONSTRAINT "project_files_idempotency_key_check"
        CHECK ("idempotency_key" IS NULL OR length("idempotency_key") BETWEEN 1 AND 200);

-- One materialization per key and project (NULL keys never collide).
CREATE UNIQUE INDEX "project_files_project_id_idempotency_key_key" ON "project_files"("project_id", "idempotency_key");

-- Rows that were processed before attempts were counted: at least one attempt, or as many as
-- their recorded errors say. updated_at is left alone (nothing about the file changed).
UPDATE "project_files" f
SET "processing_attempts" = GREATEST(
        CASE WHEN f."processing_status" IN ('processing', 'completed', 'failed') THEN 1 ELSE 0 END,
        COALESCE((
            SELECT max((e ->> 'attempt')::int)
            FROM jsonb_array_elements(f."processing_errors") AS e
            WHERE jsonb_typeof(e) = 'object' AND (e ->> 'attempt') ~ '^[0-9]{1,9}$'
        ), 0))
WHERE f."processing_status" IN ('processing', 'completed', 'failed') OR f."processing_errors" <> '[]'::jsonb;
