// Bearer tokens: the Authorization header, the JWT's signature and registered claims (jose), and
// the FMS claims mapped to an Identity. Every refusal is a TokenError whose message says what is
// wrong; no message quotes the token or a claim's value.

import type { KeyObject } from "node:crypto";
import { createLocalJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { Identity } from "../domain/identity.ts";
import { CLASSIFICATIONS, type Classification } from "../domain/vocabulary.ts";
import type { TokenAuth } from "./config.ts";

/** A request's credentials are refused (HTTP 401). */
export class TokenError extends Error {
  override name = "TokenError";
}

const BEARER_RE = /^Bearer(?: +(\S*))?$/i;
/** JWS compact serialization: three base64url parts; the signature may be empty (so `alg: none` is named). */
const COMPACT_JWS_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONTRACT_ADMIN_PREFIX = "contract-admin:";

/** The token in an Authorization header value; a TokenError unless it is `Bearer <JWT>`. */
export function bearerToken(header: string): string {
  const m = BEARER_RE.exec(header.trim());
  if (!m) throw new TokenError('The Authorization header must be "Bearer <token>"; no other scheme is accepted.');
  const token = m[1];
  if (!token) throw new TokenError('The Authorization header must be "Bearer <token>"; the token is missing.');
  if (!COMPACT_JWS_RE.test(token)) {
    throw new TokenError("The bearer token is malformed: a JWT is three base64url parts separated by dots.");
  }
  return token;
}

export type TokenVerifier = (token: string) => Promise<Identity>;

/** Verifies a token's signature, algorithm, expiry, not-before, issuer and audience, then maps its claims. */
export function tokenVerifier(auth: TokenAuth): TokenVerifier {
  const key: KeyObject | JWTVerifyGetKey =
    auth.key.kind === "jwks" ? createLocalJWKSet(auth.key.jwks as never) : auth.key.key;
  const options = {
    algorithms: auth.algorithms,
    issuer: auth.issuer,
    audience: auth.audience,
    clockTolerance: auth.clockToleranceSeconds,
    requiredClaims: ["exp"],
  };
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, options));
    } catch (e) {
      throw new TokenError(refusal(e, auth));
    }
    return identityFromClaims(payload);
  };
}

/** What a verification failure means, in words. Anything that is not a JOSE error is rethrown. */
function refusal(e: unknown, auth: TokenAuth): string {
  if (e instanceof errors.JWTExpired) return 'The bearer token has expired ("exp" is in the past).';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.reason === "missing") return `The bearer token has no "${e.claim}" claim, which is required.`;
    switch (e.claim) {
      case "nbf":
        return e.reason === "invalid"
          ? 'The bearer token\'s "nbf" claim must be a number.'
          : 'The bearer token is not valid yet ("nbf" is in the future).';
      case "iss":
        return 'The bearer token\'s issuer ("iss") is not the one this server accepts.';
      case "aud":
        return 'The bearer token\'s audience ("aud") does not include this server.';
      default:
        return `The bearer token's "${e.claim}" claim is not valid: ${e.message}.`;
    }
  }
  if (e instanceof errors.JOSEAlgNotAllowed) {
    return `The bearer token's algorithm ("alg") is not accepted; this server accepts ${auth.algorithms.join(", ")}.`;
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return "The bearer token's signature is not valid.";
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) {
    return 'No key of the configured key set matches the bearer token\'s "kid" and "alg".';
  }
  if (e instanceof errors.JOSEError) return `The bearer token is malformed: ${e.message}.`;
  // jose reports some malformed claims (a non-string "iss", a bad "aud") as TypeErrors.
  if (e instanceof TypeError && /claim/.test(e.message)) return `The bearer token is malformed: ${e.message}.`;
  throw e;
}

function claimError(claim: string, expected: string): TokenError {
  return new TokenError(`The bearer token's "${claim}" claim must be ${expected}.`);
}

function stringList(claims: JWTPayload, claim: string): string[] {
  const v = claims[claim];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && s !== "")) {
    throw claimError(claim, "an array of non-empty strings");
  }
  return [...new Set(v as string[])];
}

/**
 * The FMS claims of a verified token: `sub` (required), `groups`, `workspaces` (UUIDs), `clearance`
 * (public when absent) and `roles` (`admin`, `contract-admin:<project UUID>`, others kept as given).
 * UUIDs are lower-cased, as PostgreSQL prints them.
 */
export function identityFromClaims(claims: JWTPayload): Identity {
  if (typeof claims.sub !== "string" || claims.sub === "") throw claimError("sub", "a non-empty string");
  const groups = stringList(claims, "groups");
  const workspaces = stringList(claims, "workspaces");
  if (!workspaces.every((w) => UUID_RE.test(w))) throw claimError("workspaces", "an array of workspace UUIDs");
  const clearance = claims.clearance === undefined ? "public" : claims.clearance;
  if (typeof clearance !== "string" || !(CLASSIFICATIONS as readonly string[]).includes(clearance)) {
    throw claimError("clearance", `one of ${CLASSIFICATIONS.join(", ")}`);
  }
  const roles = stringList(claims, "roles").map((role) => {
    if (!role.startsWith(CONTRACT_ADMIN_PREFIX)) return role;
    const project = role.slice(CONTRACT_ADMIN_PREFIX.length);
    if (!UUID_RE.test(project))
      throw claimError("roles", `"${CONTRACT_ADMIN_PREFIX}<project UUID>" in its contract-admin roles`);
    return CONTRACT_ADMIN_PREFIX + project.toLowerCase();
  });
  return Object.freeze({
    kind: "token",
    subject: claims.sub,
    groups: Object.freeze(groups),
    workspaces: Object.freeze([...new Set(workspaces.map((w) => w.toLowerCase()))]),
    clearance: clearance as Classification,
    roles: Object.freeze([...new Set(roles)]),
    ...(typeof claims.exp === "number" ? { expiresAt: claims.exp } : {}),
  });
}
