// The rules of a data boundary contract, as the seed's register_materialization() applies them:
// checked in a fixed order, the first broken rule is the one reported.
import { ContractViolationError } from "./errors.ts";
import { type Classification, withinCeiling } from "./vocabulary.ts";

export interface ContractTerms {
  id: string;
  projectId: string;
  status: string;
  allowedRepresentationTypes: string[];
  maxDataClassification: string;
  scope: unknown;
}

export interface PlacedData {
  projectId: string;
  representationType: string | null;
  workspaceId: string | null;
  dataClassification: string;
}

/** The workspaces a contract admits; undefined means any workspace of its project. */
export function scopeWorkspaces(scope: unknown): string[] | undefined {
  if (typeof scope !== "object" || scope === null) return undefined;
  const ids = (scope as Record<string, unknown>).workspace_ids;
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === "string") : undefined;
}

/**
 * Throws a ContractViolationError naming the first rule that `data` breaks under `contract`:
 * retired, another project, representation type not allowed, workspace out of scope,
 * classification above the ceiling.
 */
export function checkContract(contract: ContractTerms, data: PlacedData): void {
  const fail = (code: ConstructorParameters<typeof ContractViolationError>[0], message: string) => {
    throw new ContractViolationError(code, message, contract.id);
  };
  if (contract.status !== "active") {
    fail("CONTRACT_RETIRED", `Contract ${contract.id} is retired and accepts nothing new.`);
  }
  if (contract.projectId !== data.projectId) {
    fail(
      "CONTRACT_OTHER_PROJECT",
      `Contract ${contract.id} belongs to project ${contract.projectId}, not ${data.projectId}.`,
    );
  }
  const allowed = contract.allowedRepresentationTypes;
  if (allowed.length > 0 && !allowed.includes(data.representationType ?? "")) {
    fail(
      "REPRESENTATION_NOT_ALLOWED",
      `Representation type ${data.representationType ?? "(none)"} is not allowed by contract ${contract.id} (allowed: ${allowed.join(", ")}).`,
    );
  }
  const workspaces = scopeWorkspaces(contract.scope);
  if (workspaces && !(data.workspaceId && workspaces.includes(data.workspaceId))) {
    fail(
      "WORKSPACE_OUT_OF_SCOPE",
      data.workspaceId
        ? `Workspace ${data.workspaceId} is outside the scope of contract ${contract.id}.`
        : `Contract ${contract.id} is limited to named workspaces, and no workspace was given.`,
    );
  }
  if (!withinCeiling(data.dataClassification as Classification, contract.maxDataClassification as Classification)) {
    fail(
      "CLASSIFICATION_ABOVE_CEILING",
      `Data classified ${data.dataClassification} is above the ceiling of contract ${contract.id} (${contract.maxDataClassification}).`,
    );
  }
}
