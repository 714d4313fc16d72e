// Random GraphQL requests built from schema.graphql, read at run time so that they follow the schema
// as it changes. About a third are invalid on purpose: wrong argument types, unknown fields and
// arguments, missing arguments, bad variables, syntax garbage, out-of-range pages, malformed cursors,
// malformed request bodies. The valid ones use ids that exist some of the time (the pools), select
// typed errors through fragments on unions and interfaces, and mix inline literals and variables.
// For a given seed and the same pools the sequence is the same.
import { readFileSync } from "node:fs";
import {
  buildSchema,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isRequiredArgument,
  isRequiredInputField,
  isUnionType,
} from "graphql";

export function loadSchema(path: string): GraphQLSchema {
  return buildSchema(readFileSync(path, "utf8"));
}

// --- a small seeded PRNG (sfc32, seeded through splitmix32)

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [value, w] of entries) {
      x -= w;
      if (x < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [T, number])[0];
  }

  sample<T>(items: readonly T[], n: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, n);
  }

  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16));
    hex[12] = "4";
    hex[16] = "89ab"[this.int(0, 3)] as string;
    const h = hex.join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/** A numeric seed from FUZZ_SEED: the number itself, or a hash of any other text. */
export function seedFrom(text: string): number {
  if (/^\d+$/.test(text)) return Number(BigInt(text) % 4294967296n);
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ (ch.codePointAt(0) ?? 0), 16777619) >>> 0;
  return h;
}

// --- what the generator knows about the data

/** Values that exist in the database (and some that did: deleted files, retired contracts). */
export interface Pools {
  fileIds: string[];
  deletedFileIds: string[];
  contractIds: string[];
  projectIds: string[];
  workspaceIds: string[];
  contractNames: string[];
  idempotencyKeys: string[];
  /** Cursors the API has returned (any list). */
  cursors: string[];
  /** The same cursors by the name of the list field that returned them (files, children, lineage, ...). */
  cursorsByField: Record<string, string[]>;
}

export function emptyPools(): Pools {
  return {
    fileIds: [],
    deletedFileIds: [],
    contractIds: [],
    projectIds: [],
    workspaceIds: [],
    contractNames: [],
    idempotencyKeys: [],
    cursors: [],
    cursorsByField: {},
  };
}

// --- the request model

interface Arg {
  name: string;
  type?: GraphQLInputType;
  value?: unknown;
  /** literal: printed inline; variable: passed in `variables`; raw: `raw` printed as is. */
  mode: "literal" | "variable" | "raw";
  raw?: string;
  /** The declared variable type, when it is not the argument's. */
  varType?: string;
}

interface FieldSel {
  kind: "field";
  alias?: string;
  name: string;
  /** The output type the field returns (undefined for an unknown field). */
  parentType?: string;
  args: Arg[];
  selections?: Selection[];
  directives?: string;
}

interface InlineFragment {
  kind: "inline";
  on: string;
  selections: Selection[];
}

type Selection = FieldSel | InlineFragment;

interface OperationModel {
  operation: "query" | "mutation" | "subscription";
  name?: string;
  selections: Selection[];
}

export interface FuzzRequest {
  /** Sequence number within the run. */
  n: number;
  kind: "query" | "mutation" | "raw";
  /** False when a flaw was put in on purpose. */
  valid: boolean;
  /** Built from plausible values only (see OperationGenerator). */
  plausible: boolean;
  /** Which flaw, for invalid requests. */
  flaw?: string;
  /** The exact HTTP body sent. */
  body: string;
  contentType: string;
  query?: string;
  variables?: Record<string, unknown>;
  /** Root fields of the operation (response keys, with the field name), when it was generated. */
  roots: { key: string; field: string }[];
}

const NAME_RE = /^[_A-Za-z][_0-9A-Za-z]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// --- interesting values

/** Strings that are valid GraphQL strings but unusual for a database. */
export const ODD_STRINGS: readonly string[] = [
  "",
  " ",
  "\t\n\r",
  "a".repeat(201),
  "x".repeat(5000),
  "日本語のファイル名.csv",
  "🎉🚀 émoji",
  "Z\u0351\u0362a\u0336l\u0338g\u0337o",
  "\u0000",
  "nul\u0000byte",
  "%",
  "_",
  "\\",
  "%_\\",
  "100%_done\\",
  "' OR '1'='1",
  "'; DROP TABLE files; --",
  '"; SELECT 1; --',
  "$1",
  "{{x}} #{x}",
  "\u202eevil.exe",
  "\ufeffbom",
  "null",
  "undefined",
  "NaN",
  "<script>alert(1)</script>",
  "../../../etc/passwd",
  "  padded  ",
  "\u200b",
  "🙂".repeat(300),
  "\ud800lone",
  "\udc00",
  "half an emoji \ud83d",
  "line\nbreak",
  "quote\"and'apostrophe",
  "\u0001\u001f\u007f",
];

const REPRESENTATIONS = ["original", "parquet", "csv", "preview", "thumbnail", "embedding"];
const MIME_TYPES = ["text/csv", "application/parquet", "image/png", "application/json", "application/octet-stream"];
const ERROR_CODES = ["TIMEOUT", "E_IO", "worker.crash", "OOM:1", "bad code!", "x".repeat(101)];

const DATE_TIMES = [
  "2024-01-01T00:00:00Z",
  "2024-06-15T12:30:45.123+02:00",
  "2030-12-31T23:59:59.999Z",
  "1970-01-01T00:00:00.000000001Z",
  "2024-02-30T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "0001-01-01T00:00:00+14:00",
  "9999-12-31T23:59:59-23:59",
  "1969-12-31T23:59:59Z",
  "2024-01-01T00:00Z",
];

const BIG_INTS: readonly unknown[] = [
  0,
  1,
  1024,
  "1048576",
  -1,
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "9999999999999999999",
  "-9999999999999999999",
  9007199254740991,
];

const MALFORMED_CURSORS: readonly string[] = [
  "",
  "abc",
  "!!!",
  "=",
  "x".repeat(10000),
  b64("GPC:S:not-a-uuid"),
  b64("GPC:S:"),
  b64("GPC:N:1"),
  b64("GPC:N:NaN"),
  b64("GPC:I:xyz"),
  b64("GPC:I:1"),
  b64("GPC:D:abc"),
  b64("GPC:D:1700000000000"),
  b64("GPC:O:{}"),
  b64("GPC:O:true"),
  b64("GPC:Z:"),
  b64("GPC:T:[]"),
  b64('GPC:J:["a"]'),
  b64("GPC:S:00000000-0000-0000-0000-000000000000"),
  b64("GPC:S:\u0000"),
  b64("GPC:"),
  b64("GPC"),
  b64('[0,"00000000-0000-0000-0000-000000000000"]'),
  Buffer.from('[0,"00000000-0000-0000-0000-000000000000"]').toString("base64url"),
  Buffer.from('[-1,"00000000-0000-0000-0000-000000000000"]').toString("base64url"),
  Buffer.from('[1e300,"00000000-0000-0000-0000-000000000000"]').toString("base64url"),
  Buffer.from('[2147483647,"ffffffff-ffff-ffff-ffff-ffffffffffff"]').toString("base64url"),
  Buffer.from('[1,"x"]').toString("base64url"),
  Buffer.from("{}").toString("base64url"),
  Buffer.from("null").toString("base64url"),
  "W10",
];

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

/** Input fields of which a plausible request gives exactly one. */
const EXCLUSIVE: readonly (readonly [string, string])[] = [["projectId", "parentId"]];

const HUGE_PAGES = [501, 1000, 100_000, 2_147_483_647, -1, -2_147_483_648];

// --- the generator

export interface GeneratorOptions {
  /** Share of invalid requests (default 1/3). */
  invalidShare?: number;
}

export class OperationGenerator {
  private n = 0;
  private optionalShare = 0.5;
  /**
   * Half of the requests use plausible values only (ids that exist, ordinary strings and numbers, one
   * of projectId and parentId), so that writes get past validation and the data changes over the run.
   */
  private plausible = false;
  /**
   * How many odd leaf values a plausible request may still get: half of them get one (an odd string,
   * number, date or JSON value in an otherwise ordinary input), which reaches code that a request
   * refused for other reasons never gets to.
   */
  private oddLeft = 0;
  private readonly errorTypes: Set<string>;

  constructor(
    readonly schema: GraphQLSchema,
    private readonly rng: Rng,
    readonly pools: Pools,
    private readonly options: GeneratorOptions = {},
  ) {
    const error = schema.getType("Error");
    this.errorTypes = new Set(
      error && isInterfaceType(error) ? schema.getPossibleTypes(error).map((t) => t.name) : ([] as string[]),
    );
  }

  /** Whether a type name is one of the typed errors (implements `Error`). */
  isErrorType(name: unknown): boolean {
    return typeof name === "string" && this.errorTypes.has(name);
  }

  next(): FuzzRequest {
    this.n++;
    const rng = this.rng;
    this.plausible = rng.chance(0.5);
    this.oddLeft = this.plausible && rng.chance(0.5) ? 1 : 0;
    this.optionalShare = this.plausible ? 0.3 : rng.pick([0.15, 0.4, 0.6, 0.85]);
    const invalid = rng.chance(this.options.invalidShare ?? 1 / 3);
    const mutationType = this.schema.getMutationType();
    const isMutation = mutationType !== null && mutationType !== undefined && rng.chance(0.4);
    if (invalid && rng.chance(0.12)) return this.rawBody();
    const model = isMutation ? this.mutationModel() : this.queryModel();
    if (!invalid) return this.finish(model, isMutation ? "mutation" : "query", undefined);
    const flaw = rng.weighted<string>([
      ["wrongArgType", 3],
      ["badVariable", 3],
      ["unknownField", 1.5],
      ["unknownArg", 1],
      ["missingRequiredArg", 1.5],
      ["varTypeMismatch", 1],
      ["undeclaredVariable", 0.5],
      ["unusedVariable", 0.5],
      ["syntax", 2],
      ["hugePage", 2],
      ["malformedCursor", 2],
      ["missingSelection", 0.5],
      ["leafWithSelection", 0.5],
      ["badFragment", 0.5],
      ["fieldConflict", 0.5],
      ["directive", 0.5],
      ["limits", 1],
    ]);
    return this.withFlaw(model, isMutation ? "mutation" : "query", flaw);
  }

  // --- valid models

  private queryModel(): OperationModel {
    const rng = this.rng;
    const query = this.schema.getQueryType();
    if (!query) throw new Error("the schema has no Query type");
    const selections: Selection[] = [];
    const count = rng.weighted([
      [1, 6],
      [2, 3],
      [3, 1],
    ]);
    const fields = Object.values(query.getFields());
    for (let i = 0; i < count; i++) {
      if (rng.chance(0.03)) {
        selections.push(this.introspection());
        continue;
      }
      const field = rng.pick(fields);
      selections.push(this.field(field, query, 0, rng.int(1, 4), true));
    }
    if (rng.chance(0.1)) selections.push({ kind: "field", name: "__typename", args: [] });
    uniqueAliases(selections);
    return { operation: "query", name: rng.chance(0.3) ? `Q${this.n}` : undefined, selections };
  }

  private mutationModel(): OperationModel {
    const rng = this.rng;
    const mutation = this.schema.getMutationType() as GraphQLObjectType;
    const fields = Object.values(mutation.getFields());
    const weights = fields.map((f) => [f, f.name === "deleteFile" ? 0.5 : 1] as const);
    const count = rng.chance(0.88) ? 1 : 2;
    const selections: Selection[] = [];
    for (let i = 0; i < count; i++)
      selections.push(this.field(rng.weighted(weights), mutation, 0, rng.int(1, 3), true));
    uniqueAliases(selections);
    return { operation: "mutation", name: rng.chance(0.3) ? `M${this.n}` : undefined, selections };
  }

  private introspection(): FieldSel {
    const rng = this.rng;
    if (rng.chance(0.5)) {
      return {
        kind: "field",
        name: "__type",
        args: [{ name: "name", mode: "literal", value: rng.pick(Object.keys(this.schema.getTypeMap())) }],
        selections: [
          { kind: "field", name: "name", args: [] },
          { kind: "field", name: "fields", args: [], selections: [{ kind: "field", name: "name", args: [] }] },
        ],
      };
    }
    return {
      kind: "field",
      name: "__schema",
      args: [],
      selections: [
        {
          kind: "field",
          name: "types",
          args: [],
          selections: [
            { kind: "field", name: "name", args: [] },
            { kind: "field", name: "kind", args: [] },
          ],
        },
      ],
    };
  }

  /** A field with arguments and, for a composite type, a selection set. */
  private field(
    field: GraphQLField<unknown, unknown>,
    parent: GraphQLObjectType | GraphQLNamedType,
    depth: number,
    maxDepth: number,
    root = false,
  ): FieldSel {
    const rng = this.rng;
    const args: Arg[] = [];
    for (const arg of field.args) {
      const required = isRequiredArgument(arg);
      if (!required && !rng.chance(this.optionalShare * 0.7)) continue;
      const value = this.value(arg.type, arg.name, field.name, 0);
      if (value === undefined) continue;
      args.push({ name: arg.name, type: arg.type, value, mode: rng.chance(0.5) ? "variable" : "literal" });
    }
    const named = getNamedType(field.type);
    const sel: FieldSel = { kind: "field", name: field.name, parentType: parent.name, args };
    // Connection and edge wrappers do not count as a level: the files in them do.
    const wrapper = /(Connection|Edge)$/.test(named.name);
    if (!isLeafType(named)) sel.selections = this.selectionSet(named, wrapper ? depth : depth + 1, maxDepth, root);
    return sel;
  }

  private selectionSet(type: GraphQLNamedType, depth: number, maxDepth: number, root: boolean): Selection[] {
    const rng = this.rng;
    const selections: Selection[] = [];
    if (isUnionType(type)) {
      // A mutation's result: always __typename and the Error fields, so a refusal is recognisable.
      selections.push({ kind: "field", name: "__typename", args: [] });
      const members = type.getTypes();
      const errors = members.filter((m) => this.errorTypes.has(m.name));
      if (errors.length > 0 && (root || rng.chance(0.7))) {
        selections.push({
          kind: "inline",
          on: "Error",
          selections: [
            { kind: "field", name: "code", args: [] },
            { kind: "field", name: "message", args: [] },
          ],
        });
      }
      for (const member of members) {
        const p = this.errorTypes.has(member.name) ? 0.5 : 0.8;
        if (!rng.chance(p)) continue;
        const inner = this.objectSelections(member, depth, maxDepth);
        if (inner.length > 0) selections.push({ kind: "inline", on: member.name, selections: inner });
      }
      return selections;
    }
    if (isInterfaceType(type)) {
      selections.push({ kind: "field", name: "__typename", args: [] });
      selections.push(...this.objectSelections(type, depth, maxDepth));
      for (const impl of this.schema.getPossibleTypes(type)) {
        if (!rng.chance(0.4)) continue;
        const inner = this.objectSelections(impl, depth, maxDepth);
        if (inner.length > 0) selections.push({ kind: "inline", on: impl.name, selections: inner });
      }
      return selections;
    }
    if (isObjectType(type)) {
      const inner = this.objectSelections(type, depth, maxDepth);
      if (this.errorTypes.has(type.name) || rng.chance(0.2))
        inner.unshift({ kind: "field", name: "__typename", args: [] });
      return inner.length > 0 ? inner : [{ kind: "field", name: "__typename", args: [] }];
    }
    return [{ kind: "field", name: "__typename", args: [] }];
  }

  private objectSelections(type: GraphQLNamedType, depth: number, maxDepth: number): Selection[] {
    const rng = this.rng;
    if (!isObjectType(type) && !isInterfaceType(type)) return [];
    const all = Object.values(type.getFields());
    const leaves = all.filter((f) => isLeafType(getNamedType(f.type)));
    const composites = all.filter((f) => !isLeafType(getNamedType(f.type)));
    const picked = rng.sample(leaves, rng.int(1, Math.min(5, leaves.length)));
    if (depth < maxDepth) picked.push(...rng.sample(composites, rng.int(0, Math.min(3, composites.length))));
    else if (picked.length === 0 && composites.length > 0 && depth < maxDepth + 2) picked.push(rng.pick(composites));
    // Connections: mostly edges { node } and pageInfo, where cursors come from.
    const result: Selection[] = [];
    for (const f of picked) result.push(this.field(f, type, depth, maxDepth));
    if (type.name.endsWith("Connection") && !picked.some((f) => f.name === "edges") && "edges" in type.getFields()) {
      const edges = type.getFields().edges as GraphQLField<unknown, unknown>;
      result.push(this.field(edges, type, depth, maxDepth));
    }
    if (type.name.endsWith("Edge") && "cursor" in type.getFields() && !picked.some((f) => f.name === "cursor")) {
      result.push({ kind: "field", name: "cursor", args: [] });
    }
    const node = type.getFields().node;
    if (type.name.endsWith("Edge") && node && !picked.includes(node) && depth <= maxDepth && rng.chance(0.8)) {
      result.push(this.field(node, type, depth, maxDepth));
    }
    return result;
  }

  // --- values

  /** A value of the input type; undefined to leave an optional value out. */
  value(type: GraphQLInputType, hint: string, fieldName: string, depth: number, nonNull = false): unknown {
    const rng = this.rng;
    if (isNonNullType(type)) return this.value(type.ofType, hint, fieldName, depth, true);
    if (!nonNull && !this.plausible && rng.chance(0.06)) return null;
    if (isListType(type)) {
      const n = this.plausible
        ? rng.int(0, 2)
        : rng.weighted([
            [0, 2],
            [1, 4],
            [2, 3],
            [rng.int(3, 8), 2],
            [rng.int(50, 300), 0.2],
          ]);
      const items: unknown[] = [];
      for (let i = 0; i < n; i++) items.push(this.value(type.ofType, hint, fieldName, depth + 1) ?? null);
      return items;
    }
    if (isInputObjectType(type)) {
      const out: Record<string, unknown> = {};
      for (const f of Object.values(type.getFields())) {
        const required = isRequiredInputField(f);
        if (!required && !rng.chance(this.optionalShare)) continue;
        if (depth > 6 && !required) continue;
        const v = this.value(f.type, f.name, fieldName, depth + 1);
        if (v !== undefined) out[f.name] = v;
      }
      if (this.plausible) {
        // Pairs of which exactly one is given (a root file names its project, a derived one its parent).
        for (const [a, b] of EXCLUSIVE) {
          const fields = type.getFields();
          if (!fields[a] || !fields[b]) continue;
          const keep = rng.chance(0.5) ? a : b;
          const drop = keep === a ? b : a;
          delete out[drop];
          if (out[keep] === undefined || out[keep] === null) out[keep] = this.uuid(keep, fieldName);
        }
      }
      return out;
    }
    if (isEnumType(type)) return rng.pick(type.getValues()).name;
    switch (type.name) {
      case "UUID":
      case "ID":
        return this.uuid(hint, fieldName);
      case "String":
        return this.string(hint, fieldName);
      case "Int":
        return this.int(hint);
      case "Float":
        return rng.pick([0, -0.5, 3.14, 1e308, -1e-308]);
      case "Boolean":
        return rng.chance(0.5);
      case "DateTime":
        return rng.pick(this.wild() ? DATE_TIMES : DATE_TIMES.slice(0, 3));
      case "BigInt":
        return this.wild() ? rng.pick(BIG_INTS) : rng.int(0, 1_000_000);
      case "JSON":
        return this.json(hint);
      default:
        // A scalar added later: a string is the commonest representation.
        return rng.chance(0.5) ? this.string(hint) : rng.pick(ODD_STRINGS);
    }
  }

  /** Whether this leaf gets an odd value: always outside plausible requests, else while oddLeft lasts. */
  private wild(): boolean {
    if (!this.plausible) return true;
    if (this.oddLeft > 0 && this.rng.chance(0.3)) {
      this.oddLeft--;
      return true;
    }
    return false;
  }

  private uuid(hint: string, fieldName: string): string {
    const rng = this.rng;
    const p = this.pools;
    const h = hint === "id" ? (/contract/i.test(fieldName) ? "contract" : "file") : hint.toLowerCase();
    const pool = /contract|newdefault/.test(h)
      ? p.contractIds
      : /project/.test(h)
        ? p.projectIds
        : /workspace/.test(h)
          ? p.workspaceIds
          : /file|source|parent|root/.test(h)
            ? !this.plausible && rng.chance(0.12)
              ? p.deletedFileIds
              : p.fileIds
            : [...p.fileIds, ...p.contractIds];
    const r = rng.next();
    if (r < (this.plausible ? 0.97 : 0.75) && pool.length > 0) return rng.pick(pool);
    if (r < 0.85) {
      const any = [...p.fileIds, ...p.contractIds, ...p.projectIds, ...p.workspaceIds, ...p.deletedFileIds];
      if (any.length > 0) {
        const id = rng.pick(any);
        return rng.chance(0.3) ? id.toUpperCase() : id;
      }
    }
    return rng.weighted([
      [rng.uuid(), 6],
      ["00000000-0000-0000-0000-000000000000", 1],
      ["ffffffff-ffff-ffff-ffff-ffffffffffff", 1],
      [rng.uuid().toUpperCase(), 1],
    ]);
  }

  private string(hint: string, fieldName = ""): string {
    const rng = this.rng;
    const odd = () => rng.pick(ODD_STRINGS);
    if (!this.plausible ? rng.chance(0.2) : this.wild()) return odd();
    switch (hint) {
      case "after":
      case "before": {
        // Mostly a cursor of the same list (another list's cursor is refused), sometimes any.
        const own = this.pools.cursorsByField[fieldName] ?? [];
        if (own.length > 0 && rng.chance(0.85)) return rng.pick(own);
        return this.pools.cursors.length > 0 ? rng.pick(this.pools.cursors) : rng.pick(MALFORMED_CURSORS);
      }
      case "checksumSha256":
        return rng.weighted([
          [Array.from({ length: 64 }, () => rng.int(0, 15).toString(16)).join(""), 6],
          ["A".repeat(64), 1],
          ["abc", 1],
        ]);
      case "representationType":
      case "allowedRepresentationTypes":
        return rng.chance(0.85) ? rng.pick(REPRESENTATIONS) : `rep-${rng.int(0, 9)}`;
      case "name":
        return rng.chance(0.35) && this.pools.contractNames.length > 0
          ? rng.pick(this.pools.contractNames)
          : `contract ${rng.int(0, 9999)}`;
      case "idempotencyKey":
        return rng.chance(0.5) && this.pools.idempotencyKeys.length > 0
          ? rng.pick(this.pools.idempotencyKeys)
          : `key-${rng.int(0, 999)}`;
      case "code":
        return rng.pick(ERROR_CODES);
      case "mimeType":
        return rng.pick(MIME_TYPES);
      case "filePath":
        return `/data/fuzz/${rng.int(0, 99999)}.${rng.pick(["csv", "parquet", "png"])}`;
      case "uiName":
        return rng.pick(["report.csv", "Quarterly numbers", `file ${rng.int(0, 999)}`, "ファイル"]);
      case "search":
        return rng.pick(["file", "csv", "1", "%", "_", "\\", "%_\\", "FILE", "ü", ""]);
      case "sessionId":
      case "materializedBy":
      case "createdBy":
        return rng.pick(["sess-1", "worker-7", "user:u1", "alice"]);
      case "storageBackend":
        return rng.pick(["s3", "gcs", "local"]);
      default:
        return rng.pick(["text", "a description", "dataset", "Hello, world", "42"]);
    }
  }

  private int(hint: string): number {
    const rng = this.rng;
    if (this.plausible && !this.wild()) return hint === "first" || hint === "last" ? rng.int(1, 10) : rng.int(1, 5);
    switch (hint) {
      case "first":
      case "last":
        return rng.chance(0.85) ? rng.int(0, 10) : rng.pick([0, 1, 50, 500]);
      case "maxDepth":
        return rng.chance(0.8) ? rng.int(0, 5) : rng.pick([-1, -2_147_483_648, 2_147_483_647]);
      case "retentionDays":
        return rng.pick([-1, 0, 1, 30, 365, 2_147_483_647]);
      default:
        return rng.pick([-2_147_483_648, -1, 0, 1, 42, 2_147_483_647]);
    }
  }

  private json(hint: string): unknown {
    const rng = this.rng;
    if (this.plausible && !this.wild()) {
      if (hint === "permissions") return { read: ["user:member", "group:g1"], write: ["user:member"] };
      return rng.pick<unknown>([
        {},
        { source: "fuzz" },
        { rows: rng.int(0, 1000), tag: "x" },
        { nested: { a: [1, 2] } },
      ]);
    }
    if (hint === "permissions" && rng.chance(0.6)) {
      return rng.pick<unknown>([
        { read: ["user:u1", "group:g1"], write: ["user:u1"] },
        { read: [] },
        {},
        { read: "user:u1" },
        { read: [1, null] },
        { admin: true },
      ]);
    }
    if (hint === "scope" && rng.chance(0.2)) return { workspace_ids: [rng.uuid()] };
    if (hint === "scope" && rng.chance(0.2)) return { workspace_id: rng.uuid(), session_id: "s" };
    const r = rng.next();
    if (r < 0.55) return this.jsonObject(0);
    if (r < 0.65) return deepJson(rng.pick([20, 100, 1000, 1500]), rng.chance(0.5));
    if (r < 0.7) return Object.fromEntries(Array.from({ length: rng.pick([500, 3000]) }, (_, i) => [`k${i}`, i]));
    if (r < 0.75) return { text: rng.pick(["\u0000", "a\u0000b", "\ud800", "\\u0000"]) };
    if (r < 0.8) return { [rng.pick(["", "\u0000", "__proto__", "constructor", "$where", "a.b", "🙂"])]: 1 };
    if (r < 0.85) return rng.pick<unknown>([1e308, -0, 0.1, 9007199254740991, -1e-308]);
    return rng.pick<unknown>([[], [1, "two", null], "a string", true, 42, null]);
  }

  private jsonObject(depth: number): Record<string, unknown> {
    const rng = this.rng;
    const out: Record<string, unknown> = {};
    const n = rng.int(0, 4);
    for (let i = 0; i < n; i++) {
      const key = rng.chance(0.8) ? rng.pick(["a", "tag", "owner", "rows", "source", "nested"]) : rng.pick(ODD_STRINGS);
      out[key] =
        depth < 3 && rng.chance(0.3)
          ? this.jsonObject(depth + 1)
          : rng.pick<unknown>([1, -1.5, "x", true, null, [1, 2], rng.pick(ODD_STRINGS)]);
    }
    return out;
  }

  // --- invalid values

  /** A value of the wrong kind for the type, as a GraphQL literal. */
  private wrongLiteral(type: GraphQLInputType | undefined): string {
    const rng = this.rng;
    const named = type ? getNamedType(type) : undefined;
    if (type && isListType(isNonNullType(type) ? type.ofType : type) && rng.chance(0.3)) return "[[1], {a: 1}]";
    if (!named) return rng.pick(['"x"', "1", "{a: 1}"]);
    if (isInputObjectType(named)) return rng.pick(['"x"', "42", "true", "{ nope: 1 }", "{}", "[{}]"]);
    if (isEnumType(named)) {
      const v = rng.pick(named.getValues()).name;
      return rng.pick([`"${v}"`, v.toLowerCase(), "NOPE", "1", "null"]);
    }
    switch (named.name) {
      case "Int":
        return rng.pick(['"12"', "1.5", "true", "2147483648", "-2147483649", "1e3", "{a: 1}", "99999999999999999999"]);
      case "UUID":
        return rng.pick([
          '"not-a-uuid"',
          "123",
          '"123e4567-e89b-12d3-a456-42661417400"',
          '"123e4567e89b12d3a456426614174000"',
          '"{123e4567-e89b-12d3-a456-426614174000}"',
          '"g23e4567-e89b-12d3-a456-426614174000"',
          '""',
          "true",
          "ENUM",
        ]);
      case "String":
        return rng.pick(["123", "true", "{a: 1}", "ENUM", "1.5"]);
      case "Boolean":
        return rng.pick(['"true"', "1", "yes"]);
      case "DateTime":
        return rng.pick([
          '"yesterday"',
          '"2024-01-01"',
          "1700000000",
          '"2024-13-01T00:00:00Z"',
          '"2024-01-01 00:00:00"',
        ]);
      case "BigInt":
        return rng.pick(['"1.5"', '"12345678901234567890"', "1.5", '"abc"', '" 1"', "true", "99999999999999999999"]);
      case "JSON":
        return rng.pick(["FOO", "{a: FOO}", "[BAR]"]);
      default:
        return rng.pick(["{a: 1}", "[1]"]);
    }
  }

  /** A variable value of the wrong kind for the type (JSON). */
  private wrongVariable(type: GraphQLInputType | undefined, value: unknown): unknown {
    const rng = this.rng;
    const inner = type && isNonNullType(type) ? type.ofType : type;
    if (type && isNonNullType(type) && rng.chance(0.2)) return null;
    if (inner && isInputObjectType(inner) && value && typeof value === "object" && !Array.isArray(value)) {
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const fields = Object.values(inner.getFields());
      const choice = rng.int(0, 3);
      if (choice === 0) {
        const required = fields.filter((f) => isRequiredInputField(f));
        if (required.length > 0) {
          delete copy[rng.pick(required).name];
          return copy;
        }
      }
      if (choice === 1) {
        copy[rng.pick(["nope", "deletedAt", "rootFileId", "lineageDepth", "id"])] = 1;
        return copy;
      }
      if (choice === 2 && fields.length > 0) {
        const f = rng.pick(fields);
        copy[f.name] = this.wrongVariable(f.type, copy[f.name]);
        return copy;
      }
      return rng.pick<unknown>(["x", 42, [], true]);
    }
    if (inner && isListType(inner)) return rng.pick<unknown>([{ a: 1 }, [[1]], [{}], "x"]);
    const named = type ? getNamedType(type) : undefined;
    if (named && isEnumType(named)) {
      const v = rng.pick(named.getValues()).name;
      return rng.pick<unknown>([v.toLowerCase(), "NOPE", 1, { v }]);
    }
    switch (named?.name) {
      case "Int":
        return rng.pick<unknown>(["12", 1.5, true, 2147483648, -2147483649, 1e20, { a: 1 }, [1]]);
      case "UUID":
        return rng.pick<unknown>([
          "not-a-uuid",
          123,
          "123e4567-e89b-12d3-a456-42661417400",
          "",
          true,
          ["x"],
          { id: 1 },
        ]);
      case "String":
        return rng.pick<unknown>([123, true, { a: 1 }, [1, 2]]);
      case "Boolean":
        return rng.pick<unknown>(["true", 1, 0, "false"]);
      case "DateTime":
        return rng.pick<unknown>(["yesterday", "2024-01-01", 1700000000, "2024-13-01T00:00:00Z", "", { $date: 1 }]);
      case "BigInt":
        return rng.pick<unknown>(["1.5", "12345678901234567890", 1.5, "abc", 2 ** 64, -(2 ** 63) - 4096, "1e3", true]);
      case "JSON":
        // Every JSON value is acceptable; an undefined-like value still goes through JSON.
        return rng.pick<unknown>([{ a: "\u0000" }, "\u0000", deepJson(1500, true)]);
      default:
        return rng.pick<unknown>([{ a: 1 }, [1], "x", 1]);
    }
  }

  // --- flaws

  private withFlaw(model: OperationModel, kind: "query" | "mutation", flaw: string): FuzzRequest {
    const rng = this.rng;
    const fields = allFields(model.selections);
    const withArgs = fields.filter((f) => f.args.length > 0);
    switch (flaw) {
      case "wrongArgType": {
        const f = withArgs.length > 0 ? rng.pick(withArgs) : undefined;
        if (!f) return this.withFlaw(model, kind, "unknownArg");
        const arg = rng.pick(f.args);
        arg.mode = "raw";
        arg.raw = this.wrongLiteral(arg.type);
        break;
      }
      case "unknownField": {
        const sets = selectionSets(model.selections);
        const set = rng.pick(sets);
        set.push({
          kind: "field",
          name: rng.pick([
            "nope",
            "idd",
            "__typenam",
            "password",
            "deletedAt",
            "rootFileId",
            "status",
            "scope",
            "node",
          ]),
          args: [],
        });
        break;
      }
      case "unknownArg": {
        const f = rng.pick(fields);
        f.args.push({
          name: rng.pick(["nope", "where", "limit", "offset", "orderBy", "filter", "id"]),
          mode: "raw",
          raw: "1",
        });
        break;
      }
      case "missingRequiredArg": {
        const candidates = fields.filter((f) => f.args.some((a) => a.type && isNonNullType(a.type)));
        if (candidates.length === 0) return this.withFlaw(model, kind, "unknownArg");
        const f = rng.pick(candidates);
        const required = f.args.filter((a) => a.type && isNonNullType(a.type));
        const arg = rng.pick(required);
        if (rng.chance(0.3)) {
          arg.mode = "raw";
          arg.raw = "null";
        } else if (
          rng.chance(0.5) &&
          arg.value &&
          typeof arg.value === "object" &&
          !Array.isArray(arg.value) &&
          arg.type &&
          isInputObjectType(getNamedType(arg.type))
        ) {
          // a required field of the input left out
          const obj = arg.value as Record<string, unknown>;
          const inputType = getNamedType(arg.type);
          const req = isInputObjectType(inputType)
            ? Object.values(inputType.getFields()).filter((x) => isRequiredInputField(x))
            : [];
          if (req.length > 0) delete obj[rng.pick(req).name];
          else f.args.splice(f.args.indexOf(arg), 1);
        } else {
          f.args.splice(f.args.indexOf(arg), 1);
        }
        break;
      }
      case "badVariable":
      case "varTypeMismatch": {
        if (withArgs.length === 0) return this.withFlaw(model, kind, "unusedVariable");
        const f = rng.pick(withArgs);
        const arg = rng.pick(f.args);
        arg.mode = "variable";
        if (flaw === "varTypeMismatch") {
          const declared = arg.type ? String(arg.type) : "String";
          arg.varType = rng.pick(
            [
              declared.endsWith("!") ? declared.slice(0, -1) : `[${declared}]`,
              "String",
              "Int!",
              "Nope",
              "[String!]!",
              "UUID",
              `${declared}!`.replace(/!!$/, "!"),
              "JSON",
            ].filter((t) => t !== declared),
          );
          break;
        }
        const printed = this.finish(model, kind, flaw);
        const vars = printed.variables ?? {};
        const name = Object.keys(vars).find((k) => printed.query?.includes(`${arg.name}: $${k}`));
        if (!name) return printed;
        if (rng.chance(0.15)) delete vars[name];
        else vars[name] = this.wrongVariable(arg.type, vars[name]);
        return this.request(kind, flaw, printed.query ?? "", vars, printed.roots, printed.operationName);
      }
      case "undeclaredVariable": {
        const f = rng.pick(fields);
        if (f.args.length > 0) {
          const arg = rng.pick(f.args);
          arg.mode = "raw";
          arg.raw = "$undeclared";
        } else f.args.push({ name: "first", mode: "raw", raw: "$undeclared" });
        break;
      }
      case "unusedVariable": {
        const printed = this.finish(model, kind, flaw);
        const query = (printed.query ?? "").replace(
          /^(query|mutation)( \w+)?(\(([^)]*)\))?/,
          (_m, op: string, name = "", _p, defs: string | undefined) =>
            `${op}${name}(${defs ? `${defs}, ` : ""}$unused: ${rng.pick(["Int", "String!", "[UUID!]", "Nope"])})`,
        );
        return this.request(
          kind,
          flaw,
          query,
          { ...printed.variables, unused: "x" },
          printed.roots,
          printed.operationName,
        );
      }
      case "syntax": {
        const printed = this.finish(model, kind, flaw);
        const q = printed.query ?? "";
        const garbage = rng.weighted<string>([
          [q.slice(0, rng.int(0, Math.max(0, q.length - 1))), 4],
          [
            insertAt(
              q,
              rng.int(0, q.length),
              rng.pick(["{", "}", "(", ")", ":", "$", "!", "@", "...", '"', "\\", "#", "\u0000", "&", "|"]),
            ),
            4,
          ],
          [
            rng.pick([
              "",
              " ",
              "{",
              "}",
              "query {",
              "{ file(id: ) { id } }",
              "mutation",
              "{{{{",
              "\u0000",
              "# only a comment",
              "query { __typename } }",
              "{ __typename",
              "fragment F on ProjectFile { id }",
              "{ ...F }",
              "subscription { x }",
              '"""',
              "query Q($: Int) { __typename }",
            ]),
            3,
          ],
          [Array.from({ length: rng.int(1, 200) }, () => String.fromCharCode(rng.int(0, 0x2fff))).join(""), 2],
        ]);
        return this.request(kind, flaw, garbage, printed.variables, printed.roots, printed.operationName);
      }
      case "hugePage": {
        const paged = fields.filter((f) => f.args.some((a) => ["first", "last", "maxDepth"].includes(a.name)));
        const value = rng.pick(HUGE_PAGES);
        if (paged.length > 0 && rng.chance(0.5)) {
          const f = rng.pick(paged);
          const arg = f.args.find((a) => ["first", "last", "maxDepth"].includes(a.name)) as Arg;
          arg.value = value;
          arg.mode = rng.chance(0.5) ? "variable" : "literal";
          break;
        }
        const target = this.pagedField(fields);
        if (!target) return this.finish(model, kind, flaw);
        const existing = target.field.args.find((a) => a.name === target.arg);
        if (existing) {
          existing.value = value;
          existing.mode = "literal";
        } else
          target.field.args.push({
            name: target.arg,
            type: this.schema.getType("Int") as GraphQLInputType,
            value,
            mode: rng.chance(0.5) ? "variable" : "literal",
          });
        break;
      }
      case "malformedCursor": {
        const cursor = rng.chance(0.8)
          ? rng.pick(MALFORMED_CURSORS)
          : this.pools.cursors.length > 0
            ? mangle(rng, rng.pick(this.pools.cursors))
            : rng.pick(MALFORMED_CURSORS);
        const target = this.cursorField(fields);
        if (!target) {
          model.selections.push({
            kind: "field",
            alias: "cursorCheck",
            name: "files",
            args: [
              {
                name: "after",
                type: this.schema.getType("String") as GraphQLInputType,
                value: cursor,
                mode: "variable",
              },
            ],
            selections: [{ kind: "field", name: "totalCount", args: [] }],
          });
          break;
        }
        const existing = target.field.args.find((a) => a.name === target.arg);
        if (existing) {
          existing.value = cursor;
          existing.mode = rng.chance(0.5) ? "variable" : "literal";
        } else
          target.field.args.push({
            name: target.arg,
            type: this.schema.getType("String") as GraphQLInputType,
            value: cursor,
            mode: rng.chance(0.5) ? "variable" : "literal",
          });
        break;
      }
      case "missingSelection": {
        const composite = fields.filter((f) => f.selections);
        if (composite.length === 0) return this.withFlaw(model, kind, "unknownField");
        delete rng.pick(composite).selections;
        break;
      }
      case "leafWithSelection": {
        const leaves = fields.filter((f) => !f.selections);
        if (leaves.length === 0) return this.withFlaw(model, kind, "unknownField");
        rng.pick(leaves).selections = [{ kind: "field", name: "__typename", args: [] }];
        break;
      }
      case "badFragment": {
        const set = rng.pick(selectionSets(model.selections));
        set.push({
          kind: "inline",
          on: rng.pick(["Nope", "BoundaryContract", "ProjectFile", "Query", "String", "Error", "FieldIssue"]),
          selections: [{ kind: "field", name: rng.pick(["id", "__typename", "code", "name"]), args: [] }],
        });
        break;
      }
      case "fieldConflict": {
        const root = model.selections[0];
        if (root?.kind === "field") {
          const copy = structuredCloneSelection(root);
          delete copy.alias;
          delete root.alias;
          for (const a of copy.args) if (a.type && getNamedType(a.type).name === "UUID") a.value = rng.uuid();
          copy.args.push({ name: "first", mode: "raw", raw: "1" });
          model.selections.push(copy);
        }
        break;
      }
      case "directive": {
        const f = rng.pick(fields);
        f.directives = rng.pick([
          '@skip(if: "yes")',
          "@include",
          "@nope",
          "@deprecated",
          "@skip(if: true) @skip(if: false)",
          Array.from({ length: 60 }, () => "@include(if: true)").join(" "),
          "@skip(if: $missing)",
        ]);
        break;
      }
      default: {
        // limits: very deep nesting, many aliases, or many root fields
        const choice = rng.int(0, 2);
        if (choice === 0) {
          const depth = rng.pick([15, 40, 120]);
          let inner = "id";
          for (let i = 0; i < depth; i++) inner = `parent { id ${inner} }`;
          const id = this.pools.fileIds.length > 0 ? rng.pick(this.pools.fileIds) : rng.uuid();
          return this.request(kind, flaw, `{ file(id: "${id}") { ${inner} } }`, undefined, [
            { key: "file", field: "file" },
          ]);
        }
        if (choice === 1) {
          const n = rng.pick([100, 1000, 5000]);
          const body = Array.from({ length: n }, (_, i) => `a${i}: files(first: 1) { totalCount }`).join(" ");
          return this.request(kind, flaw, `{ ${body} }`, undefined, [{ key: "a0", field: "files" }]);
        }
        const n = rng.pick([50, 500]);
        const depth = rng.pick([3, 6]);
        let sel = "totalCount";
        for (let i = 0; i < depth; i++) sel = `totalCount edges { node { id children(first: 50) { ${sel} } } }`;
        return this.request(kind, flaw, `{ files(first: ${n}) { ${sel} } }`, undefined, [
          { key: "files", field: "files" },
        ]);
      }
    }
    return this.finish(model, kind, flaw);
  }

  private pagedField(fields: FieldSel[]): { field: FieldSel; arg: string } | undefined {
    for (const f of this.rng.sample(fields, fields.length)) {
      const def = this.fieldDef(f);
      const arg = def?.args.find((a) => ["first", "last", "maxDepth"].includes(a.name));
      if (arg) return { field: f, arg: arg.name };
    }
    return undefined;
  }

  private cursorField(fields: FieldSel[]): { field: FieldSel; arg: string } | undefined {
    for (const f of this.rng.sample(fields, fields.length)) {
      const def = this.fieldDef(f);
      const arg = def?.args.find((a) => a.name === "after" || a.name === "before");
      if (arg) return { field: f, arg: arg.name };
    }
    return undefined;
  }

  private fieldDef(f: FieldSel): GraphQLField<unknown, unknown> | undefined {
    const parent = f.parentType ? this.schema.getType(f.parentType) : undefined;
    if (!parent || !(isObjectType(parent) || isInterfaceType(parent))) return undefined;
    return parent.getFields()[f.name];
  }

  /** Malformed HTTP bodies and content types. */
  private rawBody(): FuzzRequest {
    const rng = this.rng;
    const q = "{ __typename }";
    const [body, contentType] = rng.pick<[string, string]>([
      ["not json", "application/json"],
      ["{", "application/json"],
      ["", "application/json"],
      ["{}", "application/json"],
      ["null", "application/json"],
      ["[]", "application/json"],
      ['"a string"', "application/json"],
      ["42", "application/json"],
      ['{"query": 42}', "application/json"],
      ['{"query": null}', "application/json"],
      ['{"query": ["{ __typename }"]}', "application/json"],
      [JSON.stringify({ query: q, variables: "x" }), "application/json"],
      [JSON.stringify({ query: q, variables: [1] }), "application/json"],
      [JSON.stringify({ query: q, variables: 5 }), "application/json"],
      [JSON.stringify({ query: q, extensions: "x" }), "application/json"],
      [
        JSON.stringify({ query: q, extensions: { persistedQuery: { version: 1, sha256Hash: "abc" } } }),
        "application/json",
      ],
      [
        JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } }),
        "application/json",
      ],
      [JSON.stringify({ query: q, operationName: "Nope" }), "application/json"],
      [JSON.stringify({ query: q, operationName: 5 }), "application/json"],
      [JSON.stringify({ query: "query A { __typename } query B { __typename }" }), "application/json"],
      [
        JSON.stringify({ query: "query A { __typename } query A { __typename }", operationName: "A" }),
        "application/json",
      ],
      [JSON.stringify([{ query: q }, { query: q }]), "application/json"],
      [JSON.stringify({ query: q }), "text/plain"],
      [JSON.stringify({ query: q }), "application/x-www-form-urlencoded"],
      [`query=${encodeURIComponent(q)}`, "application/x-www-form-urlencoded"],
      [q, "application/graphql"],
      [JSON.stringify({ query: q }), ""],
      [JSON.stringify({ query: q, variables: { big: "x".repeat(2_000_000) } }), "application/json"],
      [`{"query": "${"{ ".repeat(5000)}"}`, "application/json"],
      [JSON.stringify({ query: `${"{".repeat(20000)}` }), "application/json"],
      ["\u0000\u0001\u0002", "application/json"],
      [JSON.stringify({ query: "mutation { __typename }", variables: null }), "application/json"],
    ]);
    return { n: this.n, kind: "raw", valid: false, plausible: false, flaw: "body", body, contentType, roots: [] };
  }

  // --- printing

  private finish(
    model: OperationModel,
    kind: "query" | "mutation",
    flaw: string | undefined,
  ): FuzzRequest & { operationName?: string } {
    const defs: string[] = [];
    const variables: Record<string, unknown> = {};
    let next = 0;
    const printArg = (a: Arg): string => {
      if (a.mode === "raw") return `${a.name}: ${a.raw}`;
      const literal = a.mode === "literal" ? printLiteral(a.value, a.type) : undefined;
      if (literal !== undefined) return `${a.name}: ${literal}`;
      const name = `v${next++}`;
      defs.push(`$${name}: ${a.varType ?? (a.type ? String(a.type) : "JSON")}`);
      variables[name] = a.value;
      return `${a.name}: $${name}`;
    };
    const printSelections = (sels: Selection[]): string =>
      sels
        .map((s) => {
          if (s.kind === "inline") return `... on ${s.on} { ${printSelections(s.selections)} }`;
          const alias = s.alias ? `${s.alias}: ` : "";
          const args = s.args.length > 0 ? `(${s.args.map(printArg).join(", ")})` : "";
          const dirs = s.directives ? ` ${s.directives}` : "";
          const sub = s.selections ? ` { ${printSelections(s.selections)} }` : "";
          return `${alias}${s.name}${args}${dirs}${sub}`;
        })
        .join(" ");
    const body = printSelections(model.selections);
    const head = `${model.operation}${model.name ? ` ${model.name}` : ""}${defs.length > 0 ? `(${defs.join(", ")})` : ""}`;
    const query = `${head} { ${body} }`;
    const roots = model.selections.flatMap((s) =>
      s.kind === "field" ? [{ key: s.alias ?? s.name, field: s.name }] : [],
    );
    return {
      ...this.request(kind, flaw, query, defs.length > 0 ? variables : undefined, roots, model.name),
      operationName: model.name,
    };
  }

  private request(
    kind: "query" | "mutation",
    flaw: string | undefined,
    query: string,
    variables: Record<string, unknown> | undefined,
    roots: { key: string; field: string }[],
    operationName?: string,
  ): FuzzRequest {
    const payload: Record<string, unknown> = { query };
    if (variables) payload.variables = variables;
    if (operationName && this.rng.chance(0.5)) payload.operationName = operationName;
    return {
      n: this.n,
      kind,
      valid: flaw === undefined,
      plausible: this.plausible,
      flaw,
      body: JSON.stringify(payload),
      contentType: "application/json",
      query,
      variables,
      roots,
    };
  }
}

// --- helpers

/** A GraphQL literal for the value, or undefined when it can only be passed as a variable. */
export function printLiteral(value: unknown, type: GraphQLInputType | undefined): string | undefined {
  if (value === null) return "null";
  if (value === undefined) return undefined;
  if (type && isNonNullType(type)) return printLiteral(value, type.ofType);
  if (type && isListType(type)) {
    if (!Array.isArray(value)) return printLiteral(value, type.ofType);
    const items = value.map((v) => printLiteral(v, type.ofType));
    return items.some((i) => i === undefined) ? undefined : `[${items.join(", ")}]`;
  }
  if (type && isInputObjectType(type)) {
    if (typeof value !== "object" || Array.isArray(value)) return printLiteral(value, undefined);
    const fields = type.getFields();
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const lit = printLiteral(v, fields[k]?.type);
      if (lit === undefined || !NAME_RE.test(k)) return undefined;
      parts.push(`${k}: ${lit}`);
    }
    return `{ ${parts.join(", ")} }`;
  }
  if (type && isEnumType(type) && typeof value === "string" && NAME_RE.test(value)) return value;
  switch (typeof value) {
    case "string":
      return LONE_SURROGATE.test(value) ? undefined : JSON.stringify(value);
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? String(value) : undefined;
    case "boolean":
      return String(value);
    case "object": {
      if (Array.isArray(value)) {
        const items = value.map((v) => printLiteral(v, undefined));
        return items.some((i) => i === undefined) ? undefined : `[${items.join(", ")}]`;
      }
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const lit = printLiteral(v, undefined);
        if (lit === undefined || !NAME_RE.test(k)) return undefined;
        parts.push(`${k}: ${lit}`);
      }
      return `{ ${parts.join(", ")} }`;
    }
    default:
      return undefined;
  }
}

function deepJson(depth: number, arrays: boolean): unknown {
  let v: unknown = "bottom";
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { d: v };
  return v;
}

function insertAt(s: string, i: number, piece: string): string {
  return s.slice(0, i) + piece + s.slice(i);
}

function mangle(rng: Rng, cursor: string): string {
  const i = rng.int(0, Math.max(0, cursor.length - 1));
  return rng.weighted([
    [cursor.slice(0, i), 2],
    [`${cursor}=`, 1],
    [`${cursor}A`, 1],
    [cursor.slice(0, i) + (cursor[i] === "A" ? "B" : "A") + cursor.slice(i + 1), 3],
    [Buffer.from(cursor).toString("base64"), 1],
  ]);
}

function allFields(selections: Selection[]): FieldSel[] {
  const out: FieldSel[] = [];
  for (const s of selections) {
    if (s.kind === "field") out.push(s);
    if (s.selections) out.push(...allFields(s.selections));
  }
  return out;
}

function selectionSets(selections: Selection[]): Selection[][] {
  const out: Selection[][] = [selections];
  for (const s of selections) if (s.selections) out.push(...selectionSets(s.selections));
  return out;
}

function structuredCloneSelection(f: FieldSel): FieldSel {
  return {
    ...f,
    args: f.args.map((a) => ({ ...a })),
    selections: f.selections ? [...f.selections] : undefined,
  };
}

/** The same root field twice needs aliases (its arguments differ). */
function uniqueAliases(selections: Selection[]): void {
  const seen = new Map<string, number>();
  for (const s of selections) {
    if (s.kind !== "field") continue;
    const count = seen.get(s.name) ?? 0;
    seen.set(s.name, count + 1);
    if (count > 0 || selections.filter((x) => x.kind === "field" && x.name === s.name).length > 1) {
      s.alias = `${s.name}${count + 1}`;
    }
  }
}
