// The authentication part of the configuration: which key verifies bearer tokens, which
// algorithms, issuer and audience are accepted. Parsed and checked once, at start, so that a
// half-configured server never starts. Key files are read from local paths only; nothing is
// fetched over the network.
import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "../config.ts";

/** No key is configured (never in production): every request runs as the development identity. */
export interface DevelopmentAuth {
  mode: "development";
}

/** Every request is anonymous or carries a verified bearer token (JWT). */
export interface TokenAuth {
  mode: "token";
  /** A single key (the HMAC secret or a PEM public key), or a local JSON Web Key Set. */
  key: { kind: "secret" | "public-key"; key: KeyObject } | { kind: "jwks"; jwks: JsonWebKeySet };
  /** Where the key came from, for the start-up log: a variable name or a file path. */
  keySource: string;
  /** The only `alg` values accepted (never `none`, never an HMAC one with a public key). */
  algorithms: string[];
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

export type AuthConfig = DevelopmentAuth | TokenAuth;

export interface JsonWebKeySet {
  keys: Record<string, unknown>[];
}

type Env = Record<string, string | undefined>;

export const AUTH_VARIABLES = [
  "AUTH_JWT_SECRET",
  "AUTH_JWT_PUBLIC_KEY_FILE",
  "AUTH_JWKS_FILE",
  "AUTH_JWT_ALGORITHMS",
  "AUTH_JWT_ISSUER",
  "AUTH_JWT_AUDIENCE",
  "AUTH_CLOCK_TOLERANCE_SECONDS",
] as const;

const HMAC_ALGORITHMS = { HS256: 32, HS384: 48, HS512: 64 } as const;
const RSA_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
const EC_ALGORITHMS: Record<string, string> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };
/** Node's names of the curves, as JWK `crv` values. */
const NODE_CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };
const MIN_RSA_BITS = 2048;

const SETUP_HINT =
  'set one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY_FILE or AUTH_JWKS_FILE, with AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE (README.md, "Authentication")';

function value(env: Env, key: string): string | undefined {
  const raw = env[key];
  return raw === undefined || raw === "" ? undefined : raw;
}

/** The key type a single key is used with, and the algorithms it can verify. */
interface KeyShape {
  /** "RSA", "EC P-256", ... for messages. */
  name: string;
  algorithms: string[];
  /** Used when AUTH_JWT_ALGORITHMS is not set. */
  defaultAlgorithm: string;
}

function shapeOf(key: KeyObject, where: string): KeyShape {
  const type = key.asymmetricKeyType;
  if (type === "rsa" || type === "rsa-pss") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS)
      throw new ConfigError(`${where}: an RSA key must be at least ${MIN_RSA_BITS} bits; got ${bits}`);
    return type === "rsa"
      ? { name: "RSA", algorithms: RSA_ALGORITHMS, defaultAlgorithm: "RS256" }
      : { name: "RSA-PSS", algorithms: ["PS256", "PS384", "PS512"], defaultAlgorithm: "PS256" };
  }
  if (type === "ec") {
    const curve = NODE_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
    const algorithm = Object.keys(EC_ALGORITHMS).find((a) => EC_ALGORITHMS[a] === curve);
    if (!algorithm) {
      throw new ConfigError(`${where}: an EC key must be on P-256, P-384 or P-521`);
    }
    return { name: `EC ${curve}`, algorithms: [algorithm], defaultAlgorithm: algorithm };
  }
  if (type === "ed25519") return { name: "Ed25519", algorithms: ["EdDSA"], defaultAlgorithm: "EdDSA" };
  throw new ConfigError(`${where}: unsupported key type ${type}; use an RSA, EC (P-256, P-384, P-521) or Ed25519 key`);
}

/** AUTH_JWT_ALGORITHMS, checked against what the key can verify; or the key's default. */
function algorithms(env: Env, usable: string[], fallback: string[], keyName: string): string[] {
  const raw = value(env, "AUTH_JWT_ALGORITHMS");
  if (raw === undefined) return fallback;
  const list = [...new Set(raw.split(",").map((a) => a.trim()))].filter((a) => a !== "");
  if (list.length === 0) throw new ConfigError("AUTH_JWT_ALGORITHMS must name at least one algorithm");
  for (const a of list) {
    if (!usable.includes(a)) {
      throw new ConfigError(
        `AUTH_JWT_ALGORITHMS: ${a} cannot be verified with ${keyName}; it accepts ${usable.join(", ")}`,
      );
    }
  }
  return list;
}

function secretKey(env: Env, secret: string): { key: KeyObject; algorithms: string[] } {
  const usable = Object.keys(HMAC_ALGORITHMS);
  const algs = algorithms(env, usable, ["HS256"], "AUTH_JWT_SECRET (an HMAC secret)");
  const bytes = Buffer.from(secret, "utf8");
  const needed = Math.max(...algs.map((a) => HMAC_ALGORITHMS[a as keyof typeof HMAC_ALGORITHMS]));
  if (bytes.length < needed) {
    throw new ConfigError(
      `AUTH_JWT_SECRET must be at least ${needed} bytes for ${algs.join(", ")}; got ${bytes.length} (generate one with: openssl rand -base64 48)`,
    );
  }
  return { key: createSecretKey(bytes), algorithms: algs };
}

function readKeyFile(variable: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`${variable}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function publicKeyFile(env: Env, path: string): { key: KeyObject; algorithms: string[] } {
  const where = `AUTH_JWT_PUBLIC_KEY_FILE (${path})`;
  const pem = readKeyFile("AUTH_JWT_PUBLIC_KEY_FILE", path);
  if (pem.includes("PRIVATE KEY")) {
    throw new ConfigError(`${where} holds a private key; give the public key (openssl pkey -in key.pem -pubout)`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ConfigError(`${where} is not a PEM public key ("-----BEGIN PUBLIC KEY-----") or certificate`);
  }
  const shape = shapeOf(key, where);
  return { key, algorithms: algorithms(env, shape.algorithms, [shape.defaultAlgorithm], `an ${shape.name} key`) };
}

function jwksFile(env: Env, path: string): { jwks: JsonWebKeySet; algorithms: string[] } {
  const where = `AUTH_JWKS_FILE (${path})`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readKeyFile("AUTH_JWKS_FILE", path));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${where} is not valid JSON`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError(`${where} must be a JSON Web Key Set: {"keys": [...]} with at least one key`);
  }
  const usable = new Set<string>();
  const defaults = new Set<string>();
  keys.forEach((jwk: unknown, i) => {
    const at = `${where}, key ${i}`;
    if (!jwk || typeof jwk !== "object" || Array.isArray(jwk)) throw new ConfigError(`${at} is not a JSON object`);
    const k = jwk as Record<string, unknown>;
    if (k.kty === "oct") throw new ConfigError(`${at} is a symmetric (oct) key; a key set holds public keys only`);
    if ("d" in k) throw new ConfigError(`${at} is a private key; publish only the public part`);
    if (k.use !== undefined && k.use !== "sig")
      throw new ConfigError(`${at} has "use": "${String(k.use)}"; expected "sig"`);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: k as never, format: "jwk" });
    } catch {
      throw new ConfigError(`${at} is not a valid public JSON Web Key`);
    }
    const shape = shapeOf(key, at);
    if (k.alg !== undefined) {
      if (typeof k.alg !== "string" || !shape.algorithms.includes(k.alg)) {
        throw new ConfigError(`${at} has "alg": "${String(k.alg)}", which an ${shape.name} key cannot verify`);
      }
      usable.add(k.alg);
      defaults.add(k.alg);
    } else {
      for (const a of shape.algorithms) usable.add(a);
      defaults.add(shape.defaultAlgorithm);
    }
  });
  return {
    jwks: { keys: keys as Record<string, unknown>[] },
    algorithms: algorithms(env, [...usable], [...defaults], "the keys in the key set"),
  };
}

/**
 * The AUTH_* variables, checked. Exactly one key source; issuer and audience with it. No key
 * source at all is development mode, refused when NODE_ENV is production, and refused when any
 * other AUTH_* variable is set (a half-done setup must not run as the all-access identity).
 */
export function authConfig(env: Env): AuthConfig {
  const sources = (["AUTH_JWT_SECRET", "AUTH_JWT_PUBLIC_KEY_FILE", "AUTH_JWKS_FILE"] as const).filter(
    (k) => value(env, k) !== undefined,
  );
  if (sources.length === 0) {
    const stray = AUTH_VARIABLES.filter((k) => value(env, k) !== undefined);
    if (stray.length > 0)
      throw new ConfigError(`${stray.join(", ")} set but no key to verify tokens with: ${SETUP_HINT}`);
    if (env.NODE_ENV === "production") {
      throw new ConfigError(
        `no authentication is configured and NODE_ENV is production: ${SETUP_HINT}. The all-access development identity is never used in production.`,
      );
    }
    return { mode: "development" };
  }
  if (sources.length > 1) {
    throw new ConfigError(`${sources.join(" and ")} are both set; configure exactly one key source`);
  }
  const issuer = value(env, "AUTH_JWT_ISSUER");
  const audience = value(env, "AUTH_JWT_AUDIENCE");
  if (issuer === undefined || audience === undefined) {
    const missing: string[] = [];
    if (issuer === undefined) missing.push("AUTH_JWT_ISSUER");
    if (audience === undefined) missing.push("AUTH_JWT_AUDIENCE");
    throw new ConfigError(`${missing.join(" and ")} must be set with ${sources[0]} (tokens are checked against both)`);
  }
  const clockToleranceSeconds = tolerance(env);

  const source = sources[0] as (typeof sources)[number];
  const raw = value(env, source) as string;
  let key: TokenAuth["key"];
  let algs: string[];
  if (source === "AUTH_JWT_SECRET") {
    const s = secretKey(env, raw);
    key = { kind: "secret", key: s.key };
    algs = s.algorithms;
  } else if (source === "AUTH_JWT_PUBLIC_KEY_FILE") {
    const p = publicKeyFile(env, raw);
    key = { kind: "public-key", key: p.key };
    algs = p.algorithms;
  } else {
    const j = jwksFile(env, raw);
    key = { kind: "jwks", jwks: j.jwks };
    algs = j.algorithms;
  }
  return {
    mode: "token",
    key,
    keySource: source === "AUTH_JWT_SECRET" ? "AUTH_JWT_SECRET" : `${source}=${raw}`,
    algorithms: algs,
    issuer,
    audience,
    clockToleranceSeconds,
  };
}

function tolerance(env: Env): number {
  const raw = value(env, "AUTH_CLOCK_TOLERANCE_SECONDS");
  if (raw === undefined) return 5;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 300) {
    throw new ConfigError(`AUTH_CLOCK_TOLERANCE_SECONDS must be a whole number from 0 to 300; got "${raw}"`);
  }
  return n;
}

/** One line about the authentication in force, for the start-up log (never the key itself). */
export function describeAuth(auth: AuthConfig): string {
  if (auth.mode === "development") return "development mode: no authentication";
  return `bearer tokens (${auth.algorithms.join(", ")}) verified with ${auth.keySource}, issuer ${auth.issuer}, audience ${auth.audience}`;
}

export const DEVELOPMENT_NOTICE =
  "No authentication is configured: every request runs as the all-access development identity. Never run this way in production.";
