// The AUTH_* configuration: exactly one key source with issuer and audience, or development mode,
// which production refuses. Every refusal is a ConfigError that names the variable.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeAuth } from "../../src/auth/config.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { authEnv, TEST_SECRET } from "../helpers/tokens.ts";

const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: "memory://", ...env });

function refused(env: Record<string, string>): string {
  try {
    load(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(env)}`);
}

describe("authentication configuration", () => {
  let dir: string;
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const spki = (key: KeyObject) => key.export({ type: "spki", format: "pem" }) as string;
  const rsaPem = (modulusLength: number) => spki(generateKeyPairSync("rsa", { modulusLength }).publicKey);
  const ecPem = (namedCurve: string) => spki(generateKeyPairSync("ec", { namedCurve }).publicKey);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "fms-auth-config-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("no key outside production is development mode; in production it refuses to start", () => {
    expect(load({}).auth).toEqual({ mode: "development" });
    expect(load({ NODE_ENV: "test" }).auth).toEqual({ mode: "development" });
    expect(refused({ NODE_ENV: "production" })).toMatch(
      /^no authentication is configured and NODE_ENV is production: set one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY_FILE or AUTH_JWKS_FILE, with AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE/,
    );
    expect(load({ NODE_ENV: "production", ...authEnv }).auth).toMatchObject({ mode: "token" });
  });

  it("a secret: HS256, issuer, audience and a 5-second clock tolerance by default", () => {
    const auth = load(authEnv).auth;
    expect(auth).toMatchObject({
      mode: "token",
      key: { kind: "secret" },
      algorithms: ["HS256"],
      issuer: authEnv.AUTH_JWT_ISSUER,
      audience: authEnv.AUTH_JWT_AUDIENCE,
      clockToleranceSeconds: 5,
    });
    expect(describeAuth(auth)).not.toContain(TEST_SECRET);
    expect(JSON.stringify(auth)).not.toContain(TEST_SECRET);
    expect(load({ ...authEnv, AUTH_CLOCK_TOLERANCE_SECONDS: "0" }).auth).toMatchObject({ clockToleranceSeconds: 0 });
  });

  it("half a configuration is refused", () => {
    const { AUTH_JWT_AUDIENCE: _a, ...noAudience } = authEnv;
    expect(refused(noAudience)).toBe(
      "AUTH_JWT_AUDIENCE must be set with AUTH_JWT_SECRET (tokens are checked against both)",
    );
    expect(refused({ AUTH_JWT_SECRET: TEST_SECRET })).toMatch(/^AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE must be set/);
    expect(refused({ AUTH_JWT_ISSUER: "https://i", AUTH_JWT_AUDIENCE: "a" })).toMatch(
      /^AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE set but no key to verify tokens with/,
    );
    expect(refused({ AUTH_CLOCK_TOLERANCE_SECONDS: "5" })).toMatch(/set but no key/);
  });

  it("exactly one key source", () => {
    const jwks = file("one.json", "{}");
    expect(refused({ ...authEnv, AUTH_JWKS_FILE: jwks })).toBe(
      "AUTH_JWT_SECRET and AUTH_JWKS_FILE are both set; configure exactly one key source",
    );
  });

  it("a secret shorter than its algorithm needs is refused", () => {
    expect(refused({ ...authEnv, AUTH_JWT_SECRET: "too-short" })).toMatch(
      /^AUTH_JWT_SECRET must be at least 32 bytes for HS256; got 9/,
    );
    expect(refused({ ...authEnv, AUTH_JWT_ALGORITHMS: "HS256,HS512" })).toMatch(/at least 64 bytes for HS256, HS512/);
    const long = { ...authEnv, AUTH_JWT_SECRET: "s".repeat(64), AUTH_JWT_ALGORITHMS: "HS256, HS512" };
    expect(load(long).auth).toMatchObject({ algorithms: ["HS256", "HS512"] });
  });

  it("algorithms the key cannot verify, or none at all, are refused", () => {
    expect(refused({ ...authEnv, AUTH_JWT_ALGORITHMS: "none" })).toMatch(
      /AUTH_JWT_ALGORITHMS: none cannot be verified/,
    );
    expect(refused({ ...authEnv, AUTH_JWT_ALGORITHMS: "RS256" })).toMatch(
      /RS256 cannot be verified with AUTH_JWT_SECRET/,
    );
    expect(refused({ ...authEnv, AUTH_JWT_ALGORITHMS: " , " })).toMatch(/at least one algorithm/);
    const rsa = file("rsa.pem", rsaPem(2048));
    const pemEnv = { ...authEnv, AUTH_JWT_SECRET: "", AUTH_JWT_PUBLIC_KEY_FILE: rsa };
    expect(refused({ ...pemEnv, AUTH_JWT_ALGORITHMS: "HS256" })).toMatch(/HS256 cannot be verified with an RSA key/);
    expect(refused({ ...pemEnv, AUTH_JWT_ALGORITHMS: "ES256" })).toMatch(/ES256 cannot be verified with an RSA key/);
    expect(load({ ...pemEnv, AUTH_JWT_ALGORITHMS: "PS256" }).auth).toMatchObject({ algorithms: ["PS256"] });
  });

  it("a PEM public key: the algorithm follows the key", () => {
    const base = { AUTH_JWT_ISSUER: "https://i", AUTH_JWT_AUDIENCE: "a" };
    const rsa = file("rsa.pem", rsaPem(2048));
    expect(load({ ...base, AUTH_JWT_PUBLIC_KEY_FILE: rsa }).auth).toMatchObject({
      key: { kind: "public-key" },
      algorithms: ["RS256"],
    });
    const ec = file("ec.pem", ecPem("P-256"));
    expect(load({ ...base, AUTH_JWT_PUBLIC_KEY_FILE: ec }).auth).toMatchObject({ algorithms: ["ES256"] });
    const ec384 = file("ec384.pem", ecPem("P-384"));
    expect(load({ ...base, AUTH_JWT_PUBLIC_KEY_FILE: ec384 }).auth).toMatchObject({ algorithms: ["ES384"] });

    const small = file("small.pem", rsaPem(1024));
    expect(refused({ ...base, AUTH_JWT_PUBLIC_KEY_FILE: small })).toMatch(
      /RSA key must be at least 2048 bits; got 1024/,
    );
    const priv = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" });
    expect(refused({ ...base, AUTH_JWT_PUBLIC_KEY_FILE: file("private.pem", String(priv)) })).toMatch(
      /holds a private key/,
    );
    expect(refused({ ...base, AUTH_JWT_PUBLIC_KEY_FILE: file("junk.pem", "hello") })).toMatch(
      /is not a PEM public key/,
    );
    expect(refused({ ...base, AUTH_JWT_PUBLIC_KEY_FILE: join(dir, "missing.pem") })).toMatch(
      /^AUTH_JWT_PUBLIC_KEY_FILE: cannot read .*missing\.pem \(ENOENT\)/,
    );
  });

  it("a JWKS file holds public signing keys only", () => {
    const base = { AUTH_JWT_ISSUER: "https://i", AUTH_JWT_AUDIENCE: "a" };
    const jwks = (name: string, content: unknown) => ({
      ...base,
      AUTH_JWKS_FILE: file(name, typeof content === "string" ? content : JSON.stringify(content)),
    });
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pub = ec.publicKey.export({ format: "jwk" });
    expect(load(jwks("ok.json", { keys: [{ ...pub, kid: "k" }] })).auth).toMatchObject({
      key: { kind: "jwks" },
      algorithms: ["ES256"],
    });
    expect(refused(jwks("bad.json", "{not json"))).toMatch(/is not valid JSON/);
    expect(refused(jwks("empty.json", { keys: [] }))).toMatch(/must be a JSON Web Key Set/);
    expect(refused(jwks("private.json", { keys: [ec.privateKey.export({ format: "jwk" })] }))).toMatch(
      /key 0 is a private key/,
    );
    expect(refused(jwks("oct.json", { keys: [{ kty: "oct", k: "c2VjcmV0" }] }))).toMatch(/key 0 is a symmetric/);
    expect(refused(jwks("alg.json", { keys: [{ ...pub, alg: "RS256" }] }))).toMatch(
      /"alg": "RS256", which an EC P-256/,
    );
    expect(refused(jwks("enc.json", { keys: [{ ...pub, use: "enc" }] }))).toMatch(/"use": "enc"; expected "sig"/);
    expect(refused(jwks("junk.json", { keys: [{ kty: "EC", crv: "P-256", x: "AA" }] }))).toMatch(
      /is not a valid public JSON Web Key/,
    );
  });

  it("the clock tolerance is a small whole number of seconds", () => {
    expect(refused({ ...authEnv, AUTH_CLOCK_TOLERANCE_SECONDS: "five" })).toMatch(
      /^AUTH_CLOCK_TOLERANCE_SECONDS must be a whole number from 0 to 300; got "five"/,
    );
    expect(refused({ ...authEnv, AUTH_CLOCK_TOLERANCE_SECONDS: "-1" })).toMatch(/from 0 to 300/);
  });
});
