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
/** Why a text or JSON string may not hold U+0000: neither PostgreSQL text nor jsonb can store it. */
export const NO_NUL = "must not contain the NUL character (\\u0000): PostgreSQL cannot store it";

/** A required, non-blank text of bounded length. */
export function text(issues: Issues, path: string, value: string | null | undefined, max = MAX_TEXT): void {
  if (value === undefined || value === null) return;
  issues.check(value.trim().length > 0, path, "must not be blank");
  issues.check(value.length <= max, path, `must be at most ${max} characters`);
  issues.check(!value.includes("\0"), path, NO_NUL);
}

const MAX_PATH = 4096;
// Unicode's control characters (Cc): C0 (NUL, tab, line breaks, ...), DEL and C1.
const CONTROL_RE = /\p{Cc}/u;
// Half of a UTF-16 surrogate pair without the other half: not a character, so not valid Unicode.
export const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Where a file is stored, within its storage backend (an object key or a path): not blank, at most
 * 4096 characters (Linux's PATH_MAX), no control characters, valid Unicode, and no `..` segment
 * (between `/` or `\` separators), so that no consumer joining it to a base directory can be led
 * out of that directory. Anything else an object store accepts is accepted. One issue at most.
 */
export function storagePath(issues: Issues, path: string, value: string | null | undefined): void {
  if (value === undefined || value === null) return;
  const problem =
    value.trim().length === 0
      ? "must not be blank"
      : value.length > MAX_PATH
        ? `must be at most ${MAX_PATH} characters`
        : CONTROL_RE.test(value)
          ? "must not contain control characters (NUL, tab, line breaks, DEL, ...)"
          : LONE_SURROGATE_RE.test(value)
            ? "must be valid Unicode (it holds half of a surrogate pair)"
            : value.split(/[/\\]/).includes("..")
              ? "must not contain a `..` segment"
              : undefined;
  if (problem) issues.add(path, problem);
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
  storagePath(issues, "filePath", input.filePath);
  text(issues, "fileType", input.fileType, 100);
  text(issues, "mimeType", input.mimeType, 255);
  text(issues, "storageBackend", input.storageBackend, 100);
  nonNegative(issues, "fileSizeBytes", input.fileSizeBytes);
  checksum(issues, "checksumSha256", input.checksumSha256);
  jsonObject(issues, "metadata", input.metadata);
}

/** How big a JSON input value may be: MAX_JSON_BYTES (as UTF-8 JSON text) and MAX_JSON_DEPTH. */
export interface JsonLimits {
  jsonBytes: number;
  jsonDepth: number;
}

/**
 * Checks a JSON input value against the limits: how deeply its objects and arrays nest (`{}` is 1
 * level, `{"a": []}` 2), its size as JSON text, and that no key or string holds a NUL character
 * (jsonb cannot). The walk is iterative, so no nesting can exhaust the stack.
 */
export function jsonWithin(issues: Issues, path: string, value: unknown, limits: JsonLimits): void {
  if (value === undefined || value === null) return;
  interface Item {
    value: unknown;
    level: number;
    key?: string;
    parent?: Item;
  }
  const pathOf = (item: Item | undefined, key?: string): string[] => {
    const keys = key === undefined ? [] : [key];
    for (let i = item; i?.key !== undefined; i = i.parent) keys.unshift(i.key);
    return keys;
  };
  let depth = 0;
  let nul: string[] | undefined;
  const stack: Item[] = [{ value, level: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const v = item.value;
    if (typeof v === "string") {
      if (!nul && v.includes("\0")) nul = pathOf(item);
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    depth = Math.max(depth, item.level + 1);
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((e, i) => [String(i), e]) : Object.entries(v);
    for (const [key, child] of entries) {
      if (!nul && key.includes("\0")) nul = pathOf(item, key);
      stack.push({ value: child, level: item.level + 1, key, parent: item });
    }
  }
  if (depth > limits.jsonDepth) {
    issues.add(path, `is nested ${depth} levels deep; at most ${limits.jsonDepth} are allowed`);
    return;
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > limits.jsonBytes) {
    issues.add(path, `is ${bytes} bytes as JSON; at most ${limits.jsonBytes} are allowed`);
  } else if (nul) {
    issues.add([path, ...nul], NO_NUL);
  }
}

/**
 * The size checks of a mutation's JSON inputs (`{ metadata: input.metadata, ... }`), run before the
 * rest of its validation: a refused value is a ValidationError naming `input.<field>`.
 */
export function jsonInputs(values: Record<string, unknown>, limits: JsonLimits): void {
  const issues = new Issues(["input"]);
  for (const [field, value] of Object.entries(values)) jsonWithin(issues, field, value, limits);
  issues.throwIfAny();
}
