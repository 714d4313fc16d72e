-- 008: lineage invariants (hand-written). SPEC.md's lineage rules, held by the database for every
-- writer (the service, a script, psql), by two BEFORE ROW triggers on project_files:
--
--   * a root (no parent) has lineage_depth 0 and is its own root; a NULL root_file_uuid is filled
--     with file_uuid, any other root is refused;
--   * a derived file's parent exists (a row inserted earlier by the same statement counts, so a
--     multi-row INSERT of a tree in depth order works), is in the same project, and gives the
--     file its root, coalesce(parent.root_file_uuid, parent.file_uuid) (a legacy parent with a
--     NULL root is its own root), and its depth, parent.lineage_depth + 1. A writer that leaves
--     root_file_uuid NULL leaves the bookkeeping to the database: the root is filled, and so is
--     the depth when it is 0 (the column default); a given root or depth must be the right one;
--   * lineage is append-only. parent_file_uuid and lineage_depth never change, nor does a
--     root_file_uuid once set. A derived file's parent is what it was derived from (provenance):
--     moving a subtree would silently rewrite what its materializations mean, and cascading a
--     move over a million-node subtree would lock it for seconds. No API re-parents. The one
--     lineage update allowed fills a legacy NULL root_file_uuid with exactly the value above.
--     project_id changes only for a file with no parent and no child (deleted or not): a file in
--     a tree shares its project with the whole tree;
--   * no cycles: a parent must already exist when its child is inserted, 001's
--     project_files_not_own_parent_check refuses a file that is its own parent, and no parent
--     ever changes, so a cycle can never be formed.
--
-- A refusal is SQLSTATE 23514 (check_violation), like a CHECK constraint, with a constraint name
-- per rule, set both as the error's constraint field and in the message text ("violates
-- constraint ..."), where src/db/errors.ts finds it. The message names the file, the parent, and
-- the expected and actual values:
--   project_files_lineage_root_check        root_file_uuid is not the one the rule gives
--   project_files_lineage_depth_rule_check  lineage_depth is not 0 (root) / the parent's + 1
--                                           (001's project_files_lineage_depth_check is the
--                                           plain CHECK lineage_depth >= 0: another rule)
--   project_files_lineage_project_check     not the parent's project; project change in a tree
--   project_files_lineage_parent_check      the parent does not exist
--   project_files_lineage_immutable_check   a change of parent, depth or a non-NULL root
--   project_files_not_own_parent_check      001's CHECK, raised by both triggers before it runs
--
-- Existing rows are not rewritten: legacy NULL roots stay (and keep working: children can be
-- added under them), and rows that already break a rule stay as they are; npm run db:verify
-- reports them, and reports these triggers missing or disabled. Like any trigger they do not fire
-- under session_replication_role = replica (logical replication applying rows the origin checked).
--
-- Concurrency: the insert trigger reads the parent FOR KEY SHARE, which lets the parent's
-- ordinary updates (status, deleted_at, metadata) through but waits for an update of its key
-- columns. project_id is one (it leads the unique index project_files_project_id_idempotency_key_key),
-- so a child inserted while its parent moves to another project waits for the move and then sees
-- the parent's new project (and is refused, or under REPEATABLE READ fails with 40001), and a
-- move waits for a child being inserted and then sees it (and is refused) under READ COMMITTED,
-- the default and what the service uses. (A move run in a REPEATABLE READ transaction would not
-- see a child committed after its snapshot; no API moves files, and db:verify would report it.)

CREATE FUNCTION project_files_lineage_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent          project_files%ROWTYPE;
    expected_root   uuid;
    expected_depth  integer;
BEGIN
    IF NEW.parent_file_uuid IS NULL THEN
        IF NEW.lineage_depth <> 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
                CONSTRAINT = 'project_files_lineage_depth_rule_check', COLUMN = 'lineage_depth',
                MESSAGE = format('file %s violates constraint "project_files_lineage_depth_rule_check": '
                    'a root file (no parent) has lineage_depth 0, not %s', NEW.file_uuid, NEW.lineage_depth),
                HINT = 'Leave lineage_depth at its default (0), or set parent_file_uuid if the file is derived.';
        END IF;
        IF NEW.root_file_uuid IS NULL THEN
            NEW.root_file_uuid := NEW.file_uuid;
        ELSIF NEW.root_file_uuid <> NEW.file_uuid THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
                CONSTRAINT = 'project_files_lineage_root_check', COLUMN = 'root_file_uuid',
                MESSAGE = format('file %s violates constraint "project_files_lineage_root_check": '
                    'a root file (no parent) is its own root, so root_file_uuid must be %s, not %s',
                    NEW.file_uuid, NEW.file_uuid, NEW.root_file_uuid),
                HINT = 'Leave root_file_uuid NULL and the database fills it in.';
        END IF;
        RETURN NEW;
    END IF;

    -- A file that names itself as parent: 001's CHECK refuses it after this trigger; say so now,
    -- rather than "the parent does not exist".
    IF NEW.parent_file_uuid = NEW.file_uuid THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
            CONSTRAINT = 'project_files_not_own_parent_check', COLUMN = 'parent_file_uuid',
            MESSAGE = format('file %s violates constraint "project_files_not_own_parent_check": '
                'a file cannot be its own parent', NEW.file_uuid);
    END IF;

    -- FOR KEY SHARE: the parent's key (and project) cannot change until this row is in; its
    -- other columns can.
    SELECT * INTO parent FROM project_files WHERE file_uuid = NEW.parent_file_uuid FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
            CONSTRAINT = 'project_files_lineage_parent_check', COLUMN = 'parent_file_uuid',
            MESSAGE = format('file %s violates constraint "project_files_lineage_parent_check": '
                'its parent %s does not exist', NEW.file_uuid, NEW.parent_file_uuid),
            HINT = 'Insert the parent first; in a multi-row INSERT, list parents before their children.';
    END IF;

    IF NEW.project_id IS DISTINCT FROM parent.project_id THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
            CONSTRAINT = 'project_files_lineage_project_check', COLUMN = 'project_id',
            MESSAGE = format('file %s violates constraint "project_files_lineage_project_check": '
                'a derived file is in its parent''s project; its parent %s is in project %s, not %s',
                NEW.file_uuid, parent.file_uuid, parent.project_id, NEW.project_id),
            HINT = 'Set project_id to the parent''s project.';
    END IF;

    expected_root := coalesce(parent.root_file_uuid, parent.file_uuid);
    expected_depth := parent.lineage_depth + 1;
    IF NEW.root_file_uuid IS NULL THEN
        -- the writer left the bookkeeping to the database
        NEW.root_file_uuid := expected_root;
        IF NEW.lineage_depth = 0 THEN
            NEW.lineage_depth := expected_depth;
        END IF;
    ELSIF NEW.root_file_uuid <> expected_root THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
            CONSTRAINT = 'project_files_lineage_root_check', COLUMN = 'root_file_uuid',
            MESSAGE = format('file %s violates constraint "project_files_lineage_root_check": '
                'a derived file has its parent''s root; its parent %s has root %s, so root_file_uuid must be %s, not %s',
                NEW.file_uuid, parent.file_uuid, expected_root, expected_root, NEW.root_file_uuid),
            HINT = 'Leave root_file_uuid NULL (and lineage_depth at 0) and the database fills them in.';
    END IF;

    IF NEW.lineage_depth <> expected_depth THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
            CONSTRAINT = 'project_files_lineage_depth_rule_check', COLUMN = 'lineage_depth',
            MESSAGE = format('file %s violates constraint "project_files_lineage_depth_rule_check": '
                'a derived file is one level below its parent; its parent %s is at depth %s, so lineage_depth must be %s, not %s',
                NEW.file_uuid, parent.file_uuid, parent.lineage_depth, expected_depth, NEW.lineage_depth),
            HINT = 'Leave root_file_uuid NULL (and lineage_depth at 0) and the database fills them in.';
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION project_files_lineage_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    expected_root  uuid;
    child          uuid;
BEGIN
    IF NEW.parent_file_uuid IS DISTINCT FROM OLD.parent_file_uuid THEN
        IF NEW.parent_file_uuid = NEW.file_uuid THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
                CONSTRAINT = 'project_files_not_own_parent_check', COLUMN = 'parent_file_uuid',
                MESSAGE = format('file %s violates constraint "project_files_not_own_parent_check": '
                    'a file cannot be its own parent', NEW.file_uuid);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
            CONSTRAINT = 'project_files_lineage_immutable_check', COLUMN = 'parent_file_uuid',
            MESSAGE = format('file %s violates constraint "project_files_lineage_immutable_check": '
                'lineage is append-only, its parent_file_uuid cannot change from %s to %s',
                NEW.file_uuid, coalesce(OLD.parent_file_uuid::text, 'NULL'), coalesce(NEW.parent_file_uuid::text, 'NULL')),
            HINT = 'A derived file''s parent is what it was derived from: register a new file instead of moving one.';
    END IF;

    IF NEW.lineage_depth IS DISTINCT FROM OLD.lineage_depth THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
            CONSTRAINT = 'project_files_lineage_immutable_check', COLUMN = 'lineage_depth',
            MESSAGE = format('file %s violates constraint "project_files_lineage_immutable_check": '
                'lineage is append-only, its lineage_depth cannot change from %s to %s',
                NEW.file_uuid, OLD.lineage_depth, NEW.lineage_depth);
    END IF;

    IF NEW.root_file_uuid IS DISTINCT FROM OLD.root_file_uuid THEN
        IF OLD.root_file_uuid IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
                CONSTRAINT = 'project_files_lineage_immutable_check', COLUMN = 'root_file_uuid',
                MESSAGE = format('file %s violates constraint "project_files_lineage_immutable_check": '
                    'lineage is append-only, its root_file_uuid cannot change from %s to %s',
                    NEW.file_uuid, OLD.root_file_uuid, coalesce(NEW.root_file_uuid::text, 'NULL')),
                HINT = 'Only a legacy NULL root_file_uuid may be filled in.';
        END IF;
        -- Filling a legacy NULL root: with exactly the value the insert rule gives.
        IF NEW.parent_file_uuid IS NULL THEN
            expected_root := NEW.file_uuid;
        ELSE
            SELECT coalesce(p.root_file_uuid, p.file_uuid) INTO expected_root
            FROM project_files p WHERE p.file_uuid = NEW.parent_file_uuid FOR KEY SHARE;
        END IF;
        IF NEW.root_file_uuid IS DISTINCT FROM expected_root THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
                CONSTRAINT = 'project_files_lineage_root_check', COLUMN = 'root_file_uuid',
                MESSAGE = format('file %s violates constraint "project_files_lineage_root_check": '
                    'its NULL root_file_uuid may only be filled with %s (%s), not %s',
                    NEW.file_uuid, coalesce(expected_root::text, 'NULL'),
                    CASE WHEN NEW.parent_file_uuid IS NULL THEN 'itself: it has no parent'
                         ELSE format('the root of its parent %s', NEW.parent_file_uuid) END,
                    NEW.root_file_uuid);
        END IF;
    END IF;

    IF NEW.project_id IS DISTINCT FROM OLD.project_id THEN
        IF NEW.parent_file_uuid IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
                CONSTRAINT = 'project_files_lineage_project_check', COLUMN = 'project_id',
                MESSAGE = format('file %s violates constraint "project_files_lineage_project_check": '
                    'a derived file is in its parent''s project, its project_id cannot change from %s to %s (its parent is %s)',
                    NEW.file_uuid, OLD.project_id, NEW.project_id, NEW.parent_file_uuid),
                HINT = 'Only a root file without children may move to another project.';
        END IF;
        SELECT c.file_uuid INTO child FROM project_files c WHERE c.parent_file_uuid = NEW.file_uuid LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'project_files',
                CONSTRAINT = 'project_files_lineage_project_check', COLUMN = 'project_id',
                MESSAGE = format('file %s violates constraint "project_files_lineage_project_check": '
                    'its derived files are in its project, its project_id cannot change from %s to %s (it has child %s)',
                    NEW.file_uuid, OLD.project_id, NEW.project_id, child),
                HINT = 'Only a root file without children (deleted ones included) may move to another project.';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER project_files_lineage_on_insert
    BEFORE INSERT ON project_files
    FOR EACH ROW EXECUTE FUNCTION project_files_lineage_on_insert();

-- Fires only when an UPDATE names a lineage column and changes it, so the common updates
-- (status, deleted_at, metadata, contract) never run it.
CREATE TRIGGER project_files_lineage_on_update
    BEFORE UPDATE OF parent_file_uuid, root_file_uuid, lineage_depth, project_id ON project_files
    FOR EACH ROW
    WHEN (OLD.parent_file_uuid IS DISTINCT FROM NEW.parent_file_uuid
       OR OLD.root_file_uuid IS DISTINCT FROM NEW.root_file_uuid
       OR OLD.lineage_depth IS DISTINCT FROM NEW.lineage_depth
       OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION project_files_lineage_on_update();
