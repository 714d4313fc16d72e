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
