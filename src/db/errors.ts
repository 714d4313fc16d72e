// The one place where database errors become domain errors. Every write goes through
// `transaction()`, so a constraint the database enforces (a unique name, the one default contract
// per project, a CHECK) reaches the client as a typed error, never as a Prisma message.
import { ConflictError, type DomainError, NotFoundError, ValidationError } from "../domain/errors.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";

export type Tx = Prisma.TransactionClient;

/** The selection a resolver hands a service (from Pothos), so relations load with the write. */
export type FileQuery = { select?: Prisma.ProjectFileSelect; include?: Prisma.ProjectFileInclude };
export type ContractQuery = {
  select?: Prisma.DataBoundaryContractSelect;
  include?: Prisma.DataBoundaryContractInclude;
};

interface PgFailure {
  sqlState: string;
  constraint: string | undefined;
  message: string;
}

/**
 * The SQLSTATE and constraint of a failed statement. The two adapters report them differently:
 * adapter-pg through a PrismaClientKnownRequestError (P2002/P2003) whose meta holds the driver
 * error, pglite-prisma-adapter as the DriverAdapterError itself; both keep PostgreSQL's message,
 * which names the constraint.
 */
export function pgFailure(error: unknown): PgFailure | undefined {
  const e = error as {
    name?: string;
    cause?: Record<string, unknown>;
    meta?: { driverAdapterError?: { cause?: Record<string, unknown> } };
  };
  const cause = e?.meta?.driverAdapterError?.cause ?? (e?.name === "DriverAdapterError" ? e.cause : undefined);
  if (!cause) return undefined;
  const sqlState = String(cause.originalCode ?? cause.code ?? "");
  if (!/^[0-9A-Z]{5}$/.test(sqlState)) return undefined;
  const message = String(cause.originalMessage ?? cause.message ?? "");
  const constraint = /constraint "([^"]+)"/.exec(message)?.[1];
  return { sqlState, constraint, message };
}

/** Which input field a CHECK constraint guards, for the ValidationError's path. */
const CHECKED_FIELDS: Record<string, string> = {
  project_files_file_size_bytes_check: "fileSizeBytes",
  project_files_metadata_object_check: "metadata",
  project_files_permissions_object_check: "permissions",
  project_files_idempotency_key_check: "idempotencyKey",
  data_boundary_contracts_retention_days_check: "retentionDays",
  data_boundary_contracts_scope_object_check: "scope",
  data_boundary_contracts_name_check: "name",
};

/**
 * The lineage rules migration 008's triggers (and 001's CHECKs) hold, each as the input field it
 * concerns and the rule in words. No API path is expected to reach them (the services compute
 * lineage from the parent); a writer that does gets a ValidationError naming the rule, not a 500.
 */
const LINEAGE_RULES: Record<string, [field: string, rule: string]> = {
  project_files_lineage_root_check: ["parentId", "a file's root is its parent's root, or itself when it has no parent"],
  project_files_lineage_depth_rule_check: ["parentId", "a file is one level below its parent, a root at level 0"],
  project_files_lineage_depth_check: ["parentId", "a lineage depth is never negative"],
  project_files_lineage_project_check: ["projectId", "a derived file is in its parent's project"],
  project_files_lineage_parent_check: ["parentId", "a derived file's parent must already exist"],
  project_files_lineage_immutable_check: [
    "parentId",
    "lineage is append-only: a file's parent, depth and set root never change",
  ],
  project_files_not_own_parent_check: ["parentId", "a file cannot be its own parent"],
};

const UNIQUE_CONFLICTS: Record<string, ConflictError> = {
  data_boundary_contracts_project_id_name_key: new ConflictError(
    "CONTRACT_NAME_TAKEN",
    "The project already has a contract with this name.",
  ),
  data_boundary_contracts_one_default_per_project: new ConflictError(
    "DEFAULT_CONTRACT_EXISTS",
    "The project already has a default contract (another request made one at the same time); retry.",
  ),
  project_files_project_id_idempotency_key_key: new ConflictError(
    "IDEMPOTENCY_KEY_REUSED",
    "A materialization with this idempotency key is being registered at the same time; retry.",
  ),
};

/** The domain error a database failure stands for, or undefined when it is not an expected one. */
export function domainErrorOf(error: unknown): DomainError | undefined {
  const failure = pgFailure(error);
  if (!failure) return undefined;
  const { sqlState, constraint } = failure;
  switch (sqlState) {
    case "23505": {
      const known = constraint ? UNIQUE_CONFLICTS[constraint] : undefined;
      return known
        ? new ConflictError(known.code, known.message)
        : new ConflictError("ALREADY_EXISTS", "A row with the same unique values already exists.");
    }
    case "23503": {
      const table = constraint?.includes("boundary_contract") ? "BoundaryContract" : "ProjectFile";
      return new NotFoundError(table, null);
    }
    case "23514": {
      const lineage = constraint ? LINEAGE_RULES[constraint] : undefined;
      if (lineage) {
        const [field, rule] = lineage;
        return new ValidationError([
          { path: ["input", field], message: `breaks the lineage rule ${constraint}: ${rule}` },
        ]);
      }
      const field = constraint ? CHECKED_FIELDS[constraint] : undefined;
      return new ValidationError([
        { path: ["input", field ?? "input"], message: `is refused by the database rule ${constraint ?? "(unnamed)"}` },
      ]);
    }
    case "40001":
    case "40P01":
      return new ConflictError("CONCURRENT_UPDATE", "Another request changed the same rows at the same time; retry.");
    default:
      return undefined;
  }
}

/**
 * Runs `fn` in one transaction: either all of its writes happen or none do. A refusal thrown
 * inside (a DomainError) rolls everything back; a database failure is translated on its way out.
 */
export async function transaction<T>(prisma: PrismaClient, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await prisma.$transaction(fn, { maxWait: 10_000, timeout: 30_000 });
  } catch (error) {
    throw domainErrorOf(error) ?? error;
  }
}
