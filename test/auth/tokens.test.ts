// Bearer tokens over HTTP: a valid token is the caller; no header is the anonymous caller; every
// other credential is refused with 401, a GraphQL-shaped UNAUTHENTICATED error and an RFC 6750
// challenge, before any SQL runs. With no key configured (development mode) every response says so.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt, exportJWK, exportSPKI, generateKeyPair } from "jose";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVELOPMENT_NOTICE } from "../../src/auth/config.ts";
import { authentication } from "../../src/auth/plugin.ts";
import { loadConfig } from "../../src/config.ts";
import { type GraphQLResponse, type RequestOptions, type TestApp, testApp } from "../helpers/app.ts";
import { authEnv, signToken, TEST_AUDIENCE, TEST_ISSUER, unsignedToken } from "../helpers/tokens.ts";

const FILES = "{ files { totalCount } }";
const now = () => Math.floor(Date.now() / 1000);
const WORKSPACE = "5B0C7A52-93A4-4C1F-9E55-0D1F1D7C2A11";
const PROJECT = "0E6A1C2D-3B4F-4A5B-8C6D-7E8F9A0B1C2D";

/** Sends FILES and checks the answer is a clean refusal: 401, the challenge, no SQL, no token echoed. */
async function expectRefused(t: TestApp, options: RequestOptions, message: RegExp): Promise<GraphQLResponse> {
  let r: GraphQLResponse | undefined;
  const sql = await t.statements(async () => {
    r = await t.gql(FILES, {}, options);
  });
  if (!r) throw new Error("no response");
  expect(sql).toEqual([]);
  expect(r.status).toBe(401);
  expect(r.data).toBeUndefined();
  expect(r.errors).toHaveLength(1);
  expect(r.errors?.[0]?.message).toMatch(message);
  expect(r.errors?.[0]?.extensions).toEqual({ code: "UNAUTHENTICATED" });
  const challenge = r.headers.get("www-authenticate") ?? "";
  expect(challenge).toMatch(/^Bearer error="invalid_token", error_description="[^"\\]+"$/);
  expect(r.extensions?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(r.headers.get("x-request-id")).toBe(r.extensions?.requestId);
  expect(r.extensions?.development).toBeUndefined();
  const credential = options.token ?? options.headers?.authorization ?? "";
  if (credential.length > 8) {
    expect(JSON.stringify(r)).not.toContain(credential);
    expect(challenge).not.toContain(credential);
    expect(JSON.stringify(t.logs)).not.toContain(credential);
  }
  const logged = t.logs.find((l) => l.requestId === r?.extensions?.requestId);
  expect(logged).toMatchObject({ msg: "bearer token refused", reason: r.errors?.[0]?.message });
  return r;
}

describe("HS256 tokens", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp(authEnv);
  });
  afterAll(() => t?.close());

  it("a valid token is the caller: 200, data, and no development notice", async () => {
    const token = await signToken({ sub: "u1", workspaces: [WORKSPACE], clearance: "internal", groups: ["g"] });
    const r = await t.gql<{ files: { totalCount: number } }>(FILES, {}, { token });
    expect(r.status).toBe(200);
    expect(r.errors).toBeUndefined();
    expect(typeof r.data?.files.totalCount).toBe("number");
    expect(r.extensions?.development).toBeUndefined();
    expect(r.extensions?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // t.as binds the token
    expect(await t.as(token).ok(FILES)).toMatchObject({ files: { totalCount: expect.any(Number) } });
  });

  it("the scheme is case-insensitive, and a token a few seconds past expiry is within the clock tolerance", async () => {
    const token = await signToken({ sub: "u1", exp: now() - 2 });
    const r = await t.gql(FILES, {}, { headers: { authorization: `bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(r.errors).toBeUndefined();
  });

  it("no Authorization header is the anonymous caller: 200, no development notice", async () => {
    const r = await t.gql("{ __typename }");
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ __typename: "Query" });
    expect(r.extensions?.development).toBeUndefined();
  });

  it("an expired token is refused", async () => {
    await expectRefused(t, { token: await signToken({ sub: "u1", exp: now() - 60 }) }, /expired/);
  });

  it("a token without an expiry is refused", async () => {
    await expectRefused(t, { token: await signToken({ sub: "u1", exp: undefined }) }, /no "exp" claim/);
  });

  it("a token that is not valid yet (nbf) is refused", async () => {
    await expectRefused(t, { token: await signToken({ sub: "u1", nbf: now() + 600 }) }, /not valid yet \("nbf"/);
  });

  it("a token signed with another secret is refused", async () => {
    const key = new TextEncoder().encode("another-secret-that-is-long-enough-0123456789");
    await expectRefused(t, { token: await signToken({ sub: "u1" }, { key }) }, /signature is not valid/);
  });

  it("a token whose claims were changed after signing is refused", async () => {
    const [header, , signature] = (await signToken({ sub: "u1", clearance: "public" })).split(".");
    const forged = Buffer.from(
      JSON.stringify({ sub: "u1", clearance: "restricted", iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: now() + 60 }),
    ).toString("base64url");
    await expectRefused(t, { token: `${header}.${forged}.${signature}` }, /signature is not valid/);
  });

  it("a token for another audience or from another issuer is refused", async () => {
    await expectRefused(t, { token: await signToken({ sub: "u1", aud: "another-api" }) }, /audience \("aud"\)/);
    await expectRefused(t, { token: await signToken({ sub: "u1", aud: undefined }) }, /no "aud" claim/);
    await expectRefused(t, { token: await signToken({ sub: "u1", iss: "https://evil.test" }) }, /issuer \("iss"\)/);
  });

  it("an unsigned token (alg: none) and an algorithm that is not configured are refused", async () => {
    await expectRefused(t, { token: unsignedToken({ sub: "u1" }) }, /algorithm \("alg"\) is not accepted; .*HS256/);
    const key = new TextEncoder().encode("x".repeat(64));
    await expectRefused(t, { token: await signToken({ sub: "u1" }, { key, alg: "HS512" }) }, /"alg"\) is not accepted/);
  });

  it("a malformed Authorization header is refused, not treated as anonymous", async () => {
    const header = (authorization: string) => ({ headers: { authorization } });
    await expectRefused(t, header("Basic dXNlcjpwYXNzd29yZA=="), /must be "Bearer <token>"; no other scheme/);
    await expectRefused(t, header("Bearer"), /the token is missing/);
    await expectRefused(t, header(""), /must be "Bearer <token>"/);
    await expectRefused(t, header("Bearer a.b"), /malformed: a JWT is three base64url parts/);
    await expectRefused(t, header("Bearer a b c"), /must be "Bearer <token>"/);
    await expectRefused(t, header("Bearer e30.e30.e30"), /malformed/);
    const token = await signToken({ sub: "u1" });
    await expectRefused(t, header(`Bearer ${token}, Bearer ${token}`), /must be "Bearer <token>"/);
  });

  it("claims of the wrong type are refused, naming the claim", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ sub: undefined }, /"sub" claim must be a non-empty string/],
      [{ sub: 42 }, /"sub" claim/],
      [{ groups: "admins" }, /"groups" claim must be an array of non-empty strings/],
      [{ groups: [1, 2] }, /"groups" claim/],
      [{ workspaces: ["not-a-uuid"] }, /"workspaces" claim must be an array of workspace UUIDs/],
      [{ workspaces: WORKSPACE }, /"workspaces" claim/],
      [{ clearance: "secret" }, /"clearance" claim must be one of public, internal, confidential, restricted/],
      [{ clearance: null }, /"clearance" claim/],
      [{ roles: "admin" }, /"roles" claim must be an array/],
      [{ roles: ["contract-admin:project-1"] }, /"roles" claim must be "contract-admin:<project UUID>"/],
      [{ exp: "tomorrow" }, /"exp"/],
    ];
    for (const [claims, message] of cases) {
      await expectRefused(t, { token: await signToken({ sub: "u1", ...claims }) }, message);
    }
  });

  it("a GET request with a refused token is refused the same way", async () => {
    const token = await signToken({ sub: "u1", exp: now() - 60 });
    const res = await t.app.fetch(`http://test/graphql?query=${encodeURIComponent(FILES)}`, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect((await res.json()).errors[0]).toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });
});

describe("the identity a token maps to", () => {
  const auth = loadConfig({ ...authEnv, DATA_DIR: "memory://" }).auth;
  const { identityOf } = authentication(auth, { logger: pino({ level: "silent" }), requestId: () => "r" });
  const request = (token?: string) =>
    new Request("http://test/graphql", { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it("carries the claims, with UUIDs lower-cased and clearance public when absent", async () => {
    const token = await signToken({
      sub: "alice",
      groups: ["analysts", "analysts"],
      workspaces: [WORKSPACE],
      roles: ["admin", `contract-admin:${PROJECT}`, "auditor"],
    });
    expect(await identityOf(request(token))).toEqual({
      kind: "token",
      subject: "alice",
      groups: ["analysts"],
      workspaces: [WORKSPACE.toLowerCase()],
      clearance: "public",
      roles: ["admin", `contract-admin:${PROJECT.toLowerCase()}`, "auditor"],
      expiresAt: decodeJwt(token).exp,
    });
    const restricted = await identityOf(request(await signToken({ sub: "bob", clearance: "restricted" })));
    expect(restricted).toMatchObject({
      subject: "bob",
      clearance: "restricted",
      groups: [],
      workspaces: [],
      roles: [],
    });
  });

  it("no header is the anonymous identity", async () => {
    expect(await identityOf(request())).toMatchObject({ kind: "anonymous", subject: null, clearance: "public" });
  });
});

describe("public keys", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "fms-auth-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = (extra: Record<string, string>) => ({
    AUTH_JWT_ISSUER: TEST_ISSUER,
    AUTH_JWT_AUDIENCE: TEST_AUDIENCE,
    ...extra,
  });

  it("RS256 with a PEM public key file; an HS256 token keyed with that PEM is refused (algorithm confusion)", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const pem = await exportSPKI(publicKey);
    const file = join(dir, "rsa.pem");
    writeFileSync(file, pem);
    const t = await testApp(env({ AUTH_JWT_PUBLIC_KEY_FILE: file }));
    try {
      expect(t.config.auth).toMatchObject({ mode: "token", algorithms: ["RS256"] });
      const token = await signToken({ sub: "svc" }, { key: privateKey, alg: "RS256" });
      const r = await t.gql(FILES, {}, { token });
      expect(r.status).toBe(200);
      expect(r.errors).toBeUndefined();

      const confused = await signToken({ sub: "svc" }, { key: new TextEncoder().encode(pem), alg: "HS256" });
      await expectRefused(t, { token: confused }, /algorithm \("alg"\) is not accepted; this server accepts RS256/);
      const other = (await generateKeyPair("RS256")).privateKey;
      await expectRefused(t, { token: await signToken({ sub: "svc" }, { key: other, alg: "RS256" }) }, /signature/);
      await expectRefused(t, { token: unsignedToken({ sub: "svc" }) }, /"alg"\) is not accepted/);
    } finally {
      await t.close();
    }
  });

  it("ES256 (and RS256) with a JWKS file: the key is chosen by kid", async () => {
    const es = await generateKeyPair("ES256");
    const rs = await generateKeyPair("RS256");
    const file = join(dir, "jwks.json");
    const keys = [
      { ...(await exportJWK(es.publicKey)), kid: "es-1", alg: "ES256", use: "sig" },
      { ...(await exportJWK(rs.publicKey)), kid: "rs-1" },
    ];
    writeFileSync(file, JSON.stringify({ keys }));
    const t = await testApp(env({ AUTH_JWKS_FILE: file }));
    try {
      expect(t.config.auth).toMatchObject({ mode: "token", algorithms: ["ES256", "RS256"] });
      const esToken = await signToken({ sub: "svc" }, { key: es.privateKey, alg: "ES256", header: { kid: "es-1" } });
      expect((await t.gql(FILES, {}, { token: esToken })).status).toBe(200);
      const rsToken = await signToken({ sub: "svc" }, { key: rs.privateKey, alg: "RS256", header: { kid: "rs-1" } });
      expect((await t.gql(FILES, {}, { token: rsToken })).status).toBe(200);

      const unknownKid = await signToken({ sub: "svc" }, { key: es.privateKey, alg: "ES256", header: { kid: "gone" } });
      await expectRefused(t, { token: unknownKid }, /No key of the configured key set matches/);
      const stranger = (await generateKeyPair("ES256")).privateKey;
      const forged = await signToken({ sub: "svc" }, { key: stranger, alg: "ES256", header: { kid: "es-1" } });
      await expectRefused(t, { token: forged }, /signature is not valid/);
      const hs = await signToken({ sub: "svc" }, { alg: "HS256", header: { kid: "es-1" } });
      await expectRefused(t, { token: hs }, /"alg"\) is not accepted; this server accepts ES256, RS256/);
      await expectRefused(t, { token: unsignedToken({ sub: "svc" }) }, /"alg"\) is not accepted/);
    } finally {
      await t.close();
    }
  });
});

describe("development mode (no key configured)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t?.close());

  it("every response carries the development notice, errors included", async () => {
    expect(t.config.auth).toEqual({ mode: "development" });
    const ok = await t.gql(FILES);
    expect(ok.status).toBe(200);
    expect(ok.extensions?.development).toBe(DEVELOPMENT_NOTICE);
    const invalid = await t.gql("{ noSuchField }");
    expect(invalid.errors).toHaveLength(1);
    expect(invalid.extensions?.development).toBe(DEVELOPMENT_NOTICE);
  });

  it("an Authorization header is ignored, even a malformed one", async () => {
    for (const authorization of ["Bearer not-a-token", "Basic x", `Bearer ${await signToken({ sub: "u1" })}`]) {
      const r = await t.gql(FILES, {}, { headers: { authorization } });
      expect(r.status).toBe(200);
      expect(r.errors).toBeUndefined();
      expect(r.extensions?.development).toBe(DEVELOPMENT_NOTICE);
    }
  });
});
