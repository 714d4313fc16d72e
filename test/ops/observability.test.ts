// The request log and the Prometheus metrics, through yoga.fetch: one log line per GraphQL request
// with its id, operation, status, duration and outcome, and nothing of its variables or token;
// /metrics with requests, latency and errors by operation, the database pool and the process.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { MAX_OPERATION_NAMES } from "../../src/observability/metrics.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { backend } from "../helpers/db.ts";
import { buildContract } from "../helpers/factories.ts";
import { authEnv, signToken } from "../helpers/tokens.ts";

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one metric in Prometheus' text format. */
function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1] as string, l[2] as string]),
    );
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of a metric's samples that have all the given labels (0 when there is none). */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text, name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

const FILES = "query ListFiles { files(first: 1) { totalCount } }";
const REGISTER = `mutation RegisterMarked($input: RegisterFileInput!) {
  registerFile(input: $input) { __typename ... on RegisterFileSuccess { file { id } } ... on Error { code } }
}`;
// files, edges, node, 10 parents and id: 14 levels, past MAX_QUERY_DEPTH (12)
const TOO_DEEP = `query TooDeep { files { edges { node { ${"parent { ".repeat(10)}id${" }".repeat(10)} } } } }`;
const NUL_FILTER = "query NulFilter($f: FileFilter) { files(filter: $f) { totalCount } }";

describe("the request log and the metrics of one app (authentication configured)", () => {
  let t: TestApp;
  let admin: string;
  const metrics = async (): Promise<string> => {
    const res = await t.app.fetch("http://test/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  const lineOf = (requestId: string | null) => {
    const lines = t.logs.filter((l) => l.msg === "graphql request" && l.requestId === requestId);
    expect(lines).toHaveLength(1);
    return lines[0] as Record<string, unknown>;
  };

  beforeAll(async () => {
    t = await testApp(authEnv);
    admin = await signToken({ sub: "ops-admin", roles: ["admin"] });
  });
  afterAll(() => t?.close());

  it("logs one line per operation with its fields, and neither the variables, the metadata nor the token", async () => {
    const marker = `marker-${randomUUID()}`;
    const projectId = randomUUID();
    await buildContract(t.prisma, { projectId, isDefault: true });
    const r = await t.as(admin).gql<{ registerFile: { __typename: string } }>(REGISTER, {
      input: {
        projectId,
        uiName: `${marker}.csv`,
        filePath: `/data/${marker}.csv`,
        metadata: { owner: marker, nested: { note: marker }, password: marker },
      },
    });
    expect(r.data?.registerFile.__typename).toBe("RegisterFileSuccess");
    const line = lineOf(r.headers.get("x-request-id"));
    expect(line).toMatchObject({
      level: 30,
      method: "POST",
      operationName: "RegisterMarked",
      operationType: "mutation",
      status: 200,
      outcome: "ok",
    });
    expect(line.errorCodes).toBeUndefined();
    expect(typeof line.durationMs).toBe("number");
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
    expect(Object.keys(line).sort()).toEqual(
      [
        "durationMs",
        "hostname",
        "level",
        "method",
        "msg",
        "operationName",
        "operationType",
        "outcome",
        "pid",
        "requestId",
        "status",
        "time",
      ].sort(),
    );
    const everything = JSON.stringify(t.logs);
    expect(everything).not.toContain(marker);
    expect(everything).not.toContain(admin);
  });

  it("logs an operation that ran with errors as error, with the errors' codes", async () => {
    const r = await t.gql(NUL_FILTER, { f: { search: "a\u0000b" } });
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(lineOf(r.headers.get("x-request-id"))).toMatchObject({
      operationName: "NulFilter",
      operationType: "query",
      status: 200,
      outcome: "error",
      errorCodes: ["BAD_USER_INPUT"],
    });
  });

  it("logs a request refused before execution as refused: a depth limit, a bad bearer token, a page too large", async () => {
    const deep = await t.gql(TOO_DEEP);
    expect(deep.status).toBe(400);
    expect(lineOf(deep.headers.get("x-request-id"))).toMatchObject({
      operationName: "TooDeep",
      operationType: "query",
      status: 400,
      outcome: "refused",
      errorCodes: ["QUERY_TOO_DEEP"],
    });

    const forged = `${admin}x`;
    const res = await t.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${forged}` },
      body: JSON.stringify({ query: FILES, operationName: "ListFiles", variables: { secret: `v-${forged}` } }),
    });
    expect(res.status).toBe(401);
    expect(lineOf(res.headers.get("x-request-id"))).toMatchObject({
      // refused before the body was read: no operation is known
      operationName: null,
      operationType: null,
      status: 401,
      outcome: "refused",
      errorCodes: ["UNAUTHENTICATED"],
    });
    expect(JSON.stringify(t.logs)).not.toContain(forged.slice(0, 40));

    const big = await t.gql("query TooBig { files(first: 501) { totalCount } }");
    expect(lineOf(big.headers.get("x-request-id"))).toMatchObject({
      operationName: "TooBig",
      outcome: "refused",
      errorCodes: ["BAD_USER_INPUT"],
    });
  });

  it("/metrics counts operations and their latency by operation name and type", async () => {
    const before = await metrics();
    const name = { operationName: "ListFiles", operationType: "query" };
    await t.ok(FILES);
    await t.ok(FILES);
    const after = await metrics();
    expect(total(after, "graphql_envelop_request", name) - total(before, "graphql_envelop_request", name)).toBe(2);
    const count = "graphql_envelop_request_duration_count";
    expect(total(after, count, name) - total(before, count, name)).toBe(2);
    expect(
      total(after, "graphql_envelop_request_duration_bucket", { ...name, le: "+Inf" }) -
        total(before, "graphql_envelop_request_duration_bucket", { ...name, le: "+Inf" }),
    ).toBe(2);
    const http = { ...name, method: "POST", statusCode: "200" };
    expect(
      total(after, "graphql_yoga_http_duration_count", http) - total(before, "graphql_yoga_http_duration_count", http),
    ).toBe(2);
    expect(total(after, "graphql_yoga_http_duration_sum", http)).toBeGreaterThan(0);
    // the mutation of the first test
    expect(
      total(after, "graphql_envelop_request", { operationName: "RegisterMarked", operationType: "mutation" }),
    ).toBe(1);
  });

  it("/metrics counts errors by phase and code, refusals before parsing included", async () => {
    const errors = "graphql_envelop_error_result";
    const before = await metrics();
    await t.gql(TOO_DEEP);
    await t.gql(NUL_FILTER, { f: { fileType: "\u0000" } });
    await t.gql("query Broken { files(first: 1) {");
    const csrf = await t.app.fetch(`http://test/graphql?query=${encodeURIComponent(FILES)}`);
    expect(csrf.status).toBe(403);
    const after = await metrics();
    const delta = (labels: Record<string, string>) => total(after, errors, labels) - total(before, errors, labels);
    expect(delta({ operationName: "TooDeep", phase: "validate", code: "QUERY_TOO_DEEP" })).toBe(1);
    expect(delta({ operationName: "NulFilter", phase: "execute", code: "BAD_USER_INPUT" })).toBe(1);
    expect(delta({ operationName: "unknown", phase: "parse", code: "GRAPHQL_PARSE_FAILED" })).toBe(1);
    expect(delta({ phase: "request", code: "CSRF_PREVENTED" })).toBe(1);
    expect(delta({})).toBe(4);
    // no label holds a path (with list indexes, unbounded)
    for (const s of samples(after, errors))
      expect(Object.keys(s.labels).sort()).toEqual(["code", "operationName", "operationType", "phase"]);
  });

  it("labels an operation by the document's name, never by an operationName the document lacks", async () => {
    const res = await t.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: FILES, operationName: "NotInTheDocument" }),
    });
    expect(res.status).toBe(400);
    const text = await metrics();
    expect(text).not.toContain("NotInTheDocument");
  });

  it("/metrics holds neither URLs nor variables", async () => {
    const marker = `marker${randomUUID().replaceAll("-", "")}`;
    const query = "query Probe { __typename }";
    const res = await t.app.fetch(
      `http://test/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ x: marker }))}`,
      { headers: { "x-graphql-yoga-csrf": "1" } },
    );
    expect(res.status).toBe(200);
    const text = await metrics();
    expect(total(text, "graphql_yoga_http_duration_count", { operationName: "Probe", method: "GET" })).toBe(1);
    expect(text).not.toContain(marker);
    expect(text).not.toContain("url=");
    expect(JSON.stringify(t.logs)).not.toContain(marker);
  });

  it("/metrics shows the database pool's state", async () => {
    await t.ok(FILES);
    const text = await metrics();
    const gauge = (name: string) => samples(text, name).find((s) => s.labels.backend === backend());
    if (backend() === "postgres") {
      const max = gauge("fms_db_pool_max_connections")?.value as number;
      const open = gauge("fms_db_pool_open_connections")?.value as number;
      const idle = gauge("fms_db_pool_idle_connections")?.value as number;
      expect(max).toBe(5); // the test databases' pool size
      expect(open).toBeGreaterThanOrEqual(1);
      expect(open).toBeLessThanOrEqual(max);
      expect(idle).toBeLessThanOrEqual(open);
      expect(idle).toBeGreaterThanOrEqual(1); // nothing runs while /metrics answers
      expect(gauge("fms_db_pool_waiting_requests")?.value).toBe(0);
    } else {
      expect(gauge("fms_db_pool_max_connections")?.value).toBe(1);
      expect(gauge("fms_db_pool_open_connections")?.value).toBe(1);
      // PGlite has no pool whose idle connections or queue could be read
      expect(text).not.toContain("fms_db_pool_idle_connections");
      expect(text).not.toContain("fms_db_pool_waiting_requests");
    }
  });

  it("/metrics includes the Node process metrics", async () => {
    const text = await metrics();
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
    ]) {
      expect(samples(text, name).length).toBeGreaterThan(0);
    }
    expect(samples(text, "nodejs_eventloop_lag_p99_seconds").length).toBe(1);
  });
});

describe("metrics configuration", () => {
  it("bounds the operation names it labels: past MAX_OPERATION_NAMES they count as other", async () => {
    const t = await testApp();
    try {
      const extra = 5;
      for (let i = 0; i < MAX_OPERATION_NAMES + extra; i++) await t.ok(`query Op${i} { __typename }`);
      const text = await (await t.app.fetch("http://test/metrics")).text();
      const names = new Set(samples(text, "graphql_envelop_request").map((s) => s.labels.operationName));
      expect(names.size).toBe(MAX_OPERATION_NAMES + 1);
      expect(names.has(`Op${MAX_OPERATION_NAMES - 1}`)).toBe(true);
      expect(names.has(`Op${MAX_OPERATION_NAMES}`)).toBe(false);
      expect(total(text, "graphql_envelop_request", { operationName: "other" })).toBe(extra);
    } finally {
      await t.close();
    }
  });

  it("with METRICS_TOKEN, /metrics answers only its bearer; GraphQL is unaffected", async () => {
    const token = "metrics-token-0123456789abcdef";
    const t = await testApp({ METRICS_TOKEN: token });
    try {
      const get = (authorization?: string) =>
        t.app.fetch("http://test/metrics", { headers: authorization ? { authorization } : {} });
      for (const refused of [undefined, `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, token]) {
        const res = await get(refused);
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
        expect(await res.text()).not.toContain("graphql_envelop");
      }
      await t.ok(FILES);
      const res = await get(`Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(total(await res.text(), "graphql_envelop_request", { operationName: "ListFiles" })).toBe(1);
    } finally {
      await t.close();
    }
  });

  it("METRICS_TOKEN must be a usable bearer token of at least 16 characters", () => {
    for (const bad of ["short", "has spaces in it here", "ünïcode-token-0123456789"]) {
      expect(() => loadConfig({ METRICS_TOKEN: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ METRICS_TOKEN: bad })).toThrow(/^METRICS_TOKEN must be/);
    }
    expect(() => loadConfig({ METRICS: "maybe" })).toThrow('METRICS must be true or false; got "maybe"');
    expect(() => loadConfig({ READINESS_TIMEOUT_MS: "5" })).toThrow(/^READINESS_TIMEOUT_MS must be a whole number/);
    expect(() => loadConfig({ LOG_LEVEL: "verbose" })).toThrow(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"',
    );
    expect(loadConfig({ LOG_LEVEL: "debug" }).logLevel).toBe("debug");
    expect(loadConfig({}).observability).toEqual({ metrics: true, metricsToken: null, readinessTimeoutMs: 2_000 });
  });

  it("with METRICS=false there is no /metrics, and requests are still logged", async () => {
    const t = await testApp({ METRICS: "false" });
    try {
      expect((await t.app.fetch("http://test/metrics")).status).toBe(404);
      const r = await t.gql(FILES);
      expect(r.status).toBe(200);
      expect(t.logs.filter((l) => l.msg === "graphql request")).toMatchObject([
        { operationName: "ListFiles", outcome: "ok", requestId: r.headers.get("x-request-id") },
      ]);
    } finally {
      await t.close();
    }
  });
});
