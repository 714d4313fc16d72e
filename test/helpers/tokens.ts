// Bearer tokens for tests: `testApp(authEnv)` is a server that verifies HS256 tokens signed with
// TEST_SECRET, and `signToken(claims)` makes one it accepts (issuer, audience and a one-hour expiry
// filled in unless the claims give their own; a claim given as undefined is left out).
import { type JWTPayload, SignJWT } from "jose";

export const TEST_SECRET = "fms-test-secret-0123456789abcdef-0123456789abcdef";
export const TEST_ISSUER = "https://issuer.fms.test";
export const TEST_AUDIENCE = "fms-api";

/** The environment of a server that verifies tokens from signToken. */
export const authEnv: Record<string, string> = {
  AUTH_JWT_SECRET: TEST_SECRET,
  AUTH_JWT_ISSUER: TEST_ISSUER,
  AUTH_JWT_AUDIENCE: TEST_AUDIENCE,
};

/** `sub`, and the FMS claims `groups`, `workspaces`, `clearance`, `roles`; any JSON to test refusals. */
export type TokenClaims = JWTPayload;

export interface SignOptions {
  /** The HMAC secret (TEST_SECRET) or a private key; `alg` must suit it. */
  key?: Uint8Array | CryptoKey;
  alg?: string;
  /** Extra protected header parameters (`kid`, `typ`, ...). */
  header?: Record<string, unknown>;
}

export async function signToken(claims: TokenClaims = {}, options: SignOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    iat: now,
    exp: now + 3600,
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  const alg = options.alg ?? "HS256";
  return new SignJWT(payload)
    .setProtectedHeader({ ...options.header, alg })
    .sign(options.key ?? new TextEncoder().encode(TEST_SECRET));
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** An unsigned token (`alg: none`), which no server configuration may accept. */
export function unsignedToken(claims: TokenClaims): string {
  const now = Math.floor(Date.now() / 1000);
  return `${base64url({ alg: "none", typ: "JWT" })}.${base64url({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: now + 3600, ...claims })}.`;
}
