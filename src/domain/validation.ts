// Input checks at the boundary: every problem with a request is collected, with the path of the
// offending value, and reported at once as one ValidationError before anything is written.
import { type FieldIssue, ValidationError } from "./errors.ts";

export class Issues {
  readonly list: FieldIssue[] = [];
  constructor(private readonly base: string[] = []) {}

  add(path: string | string[], message: string): void {
    this.list.push({ path: [...this.base, ...(Array.isArray(path) ? path : [path])], message });
  }

  /** Records `message` at `path` unless `ok`. */
  check(ok: boolean, path: string | string[], message: string): void {
    if (!ok) this.add(path, message);
  }

  /** Throws the collected issues, if any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}

const MAX_TEXT = 1024;

/** A required, non-blank text of bounded length. */
export function text(issues: Issues, path: string, value: string | null | undefined, max = MAX_TEXT): void {
  if (value === undefined || value === null) return;
  issues.check(value.trim().length > 0, path, "must not be blank");
  issues.check(value.length <= max, path, `must be at most ${max} characters`);
}

/** Representation types are short lower-case identifiers: original, parquet, csv, thumbnail_256... */
export const REPRESENTATION_TYPE_RE = /^[a-z][a-z0-9_.-]{0,63}$/;

export function representationType(issues: Issues, path: string, value: string | null | undefined): void {
  if (value === undefined || value === null) return;
  issues.check(
    REPRESENTATION_TYPE_RE.test(value),
    path,
    "must be a lower-case identifier (a-z, 0-9, _ . -), at most 64 characters, e.g. parquet",
  );
}

export function oneOf(
  issues: Issues,
  path: string,
  value: string | null | undefined,
  allowed: readonly string[],
): void {
  if (value === undefined || value === null) return;
  issues.check(allowed.includes(value), path, `must be one of ${allowed.join(", ")}`);
}

export function checksum(issues: Issues, path: string, value: string | null | undefined): void {
  if (value === undefined || value === null) return;
  issues.check(/^[0-9a-f]{64}$/.test(value), path, "must be 64 lower-case hex digits (a SHA-256)");
}

export function nonNegative(issues: Issues, path: string, value: bigint | number | null | undefined): void {
  if (value === undefined || value === null) return;
  issues.check(value >= 0, path, "must not be negative");
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function jsonObject(issues: Issues, path: string, value: unknown): void {
  if (value === undefined || value === null) return;
  issues.check(isPlainObject(value), path, "must be a JSON object");
}

/** `permissions`: {"read": [...], "write": [...]}, each a list of "user:<id>" / "group:<id>" principals. */
export function permissions(issues: Issues, path: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (!isPlainObject(value)) {
    issues.add(path, 'must be a JSON object like {"read": ["user:u1", "group:g1"], "write": []}');
    return;
  }
  for (const [key, list] of Object.entries(value)) {
    if (key !== "read" && key !== "write") {
      issues.add([path, key], "only read and write may be listed");
    } else if (!Array.isArray(list) || !list.every((p) => typeof p === "string" && /^(user|group):.{1,200}$/.test(p))) {
      issues.add([path, key], 'must be a list of principals like "user:u1" or "group:g1"');
    }
  }
}

/** The describing fields every new file has, whether registered or materialized. */
export interface FileContent {
  uiName?: string | null;
  filePath: string;
  fileType?: string | null;
  mimeType?: string | null;
  storageBackend?: string | null;
  fileSizeBytes?: bigint | null;
  checksumSha256?: string | null;
  metadata?: unknown;
}

export function fileContent(issues: Issues, input: FileContent): void {
  text(issues, "uiName", input.uiName);
  text(issues, "filePath", input.filePath, 4096);
  text(issues, "fileType", input.fileType, 100);
  text(issues, "mimeType", input.mimeType, 255);
  text(issues, "storageBackend", input.storageBackend, 100);
  nonNegative(issues, "fileSizeBytes", input.fileSizeBytes);
  checksum(issues, "checksumSha256", input.checksumSha256);
  jsonObject(issues, "metadata", input.metadata);
}
