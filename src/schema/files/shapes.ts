// Typed views of two JSON columns: materialization_scope and processing_errors. Rows written by
// older code may hold other shapes, so reading is lenient: what does not fit is left out (or kept in
// `extra`), never an error for the whole file.
import { builder } from "../builder.ts";

export interface MaterializationScope {
  workspaceId: string | null;
  sessionId: string | null;
  materializedAt: Date | null;
  materializedBy: string | null;
  extra: Record<string, unknown>;
}

const str = (v: unknown) => (typeof v === "string" ? v : null);

function date(v: unknown): Date | null {
  if (typeof v !== "string") return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function readMaterializationScope(value: unknown): MaterializationScope | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { workspace_id, session_id, materialized_at, materialized_by, ...extra } = value as Record<string, unknown>;
  return {
    workspaceId: str(workspace_id),
    sessionId: str(session_id),
    materializedAt: date(materialized_at),
    materializedBy: str(materialized_by),
    extra,
  };
}

export const MaterializationScopeRef = builder.objectRef<MaterializationScope>("MaterializationScope").implement({
  description: "Where and by whom a materialization was made (materialization_scope).",
  fields: (t) => ({
    workspaceId: t.expose("workspaceId", {
      type: "UUID",
      nullable: true,
      description: "The workspace it was made for.",
    }),
    sessionId: t.exposeString("sessionId", {
      nullable: true,
      description: "The session it was made in (a runtime concept, kept only here).",
    }),
    materializedAt: t.expose("materializedAt", { type: "DateTime", nullable: true, description: "When it was made." }),
    materializedBy: t.exposeString("materializedBy", { nullable: true, description: "Who made it." }),
    extra: t.expose("extra", { type: "JSON", description: "The other keys the caller supplied, as a JSON object." }),
  }),
});

export interface ProcessingErrorEntry {
  code: string;
  message: string;
  at: Date | null;
  attempt: number | null;
}

export function readProcessingErrors(value: unknown): ProcessingErrorEntry[] {
  if (!Array.isArray(value)) return [];
  return value.map((e) => {
    const o: Record<string, unknown> = typeof e === "object" && e !== null ? e : { message: e };
    return {
      code: str(o.code) ?? "UNKNOWN",
      message: str(o.message) ?? JSON.stringify(o.message ?? e),
      at: date(o.at),
      attempt: Number.isInteger(o.attempt) ? (o.attempt as number) : null,
    };
  });
}

export const ProcessingErrorRef = builder.objectRef<ProcessingErrorEntry>("ProcessingError").implement({
  description: "One error a worker reported while processing a file.",
  fields: (t) => ({
    code: t.exposeString("code", { description: "The worker's error code (UNKNOWN for old rows without one)." }),
    message: t.exposeString("message", { description: "What went wrong." }),
    at: t.expose("at", { type: "DateTime", nullable: true, description: "When it was reported." }),
    attempt: t.exposeInt("attempt", {
      nullable: true,
      description: "The processing attempt it belongs to (1 for the first).",
    }),
  }),
});
