// Who is calling, per request. With tokens configured, the Authorization header is checked before
// the request body is parsed: no header is the anonymous caller; anything else must be a valid
// bearer token, or the request ends there with HTTP 401 (no SQL runs, nothing is downgraded to
// anonymous). In development mode the header is ignored and every response says so.
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import { ANONYMOUS, DEVELOPMENT, type Identity } from "../domain/identity.ts";
import type { Logger } from "../logger.ts";
import { type AuthConfig, DEVELOPMENT_NOTICE } from "./config.ts";
import { bearerToken, TokenError, tokenVerifier } from "./tokens.ts";

export interface Authentication {
  plugin: Plugin<Context>;
  /** The request's verified caller; rejects with a 401 GraphQLError when its credentials are refused. */
  identityOf(request: Request): Promise<Identity>;
}

/** The 401 answer: a GraphQL error with code UNAUTHENTICATED and the RFC 6750 challenge. */
export function unauthenticated(message: string): GraphQLError {
  // error_description allows neither '"' nor '\' (RFC 6750, section 3).
  const description = message.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, "?");
  return new GraphQLError(message, {
    extensions: {
      code: "UNAUTHENTICATED",
      http: {
        status: 401,
        headers: { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${description}"` },
      },
    },
  });
}

export function authentication(
  auth: AuthConfig,
  { logger, requestId }: { logger: Logger; requestId: (request: Request) => string },
): Authentication {
  if (auth.mode === "development") {
    return {
      identityOf: async () => DEVELOPMENT,
      plugin: {
        onResultProcess: ({ result }) => {
          for (const r of Array.isArray(result) ? result : [result]) {
            if (r && typeof r === "object" && ("data" in r || "errors" in r)) {
              r.extensions = { ...r.extensions, development: DEVELOPMENT_NOTICE };
            }
          }
        },
      },
    };
  }

  const verify = tokenVerifier(auth);
  const identities = new WeakMap<Request, Promise<Identity>>();
  const check = async (request: Request): Promise<Identity> => {
    const header = request.headers.get("authorization");
    if (header === null) return ANONYMOUS;
    try {
      return await verify(bearerToken(header));
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      logger.info({ requestId: requestId(request), reason: e.message }, "bearer token refused");
      throw unauthenticated(e.message);
    }
  };
  const identityOf = (request: Request): Promise<Identity> => {
    let identity = identities.get(request);
    if (!identity) {
      identity = check(request);
      identities.set(request, identity);
    }
    return identity;
  };
  return {
    identityOf,
    plugin: {
      // Before the body is read or the document parsed, so a refused request costs nothing more.
      onRequestParse: async ({ request }) => {
        await identityOf(request);
      },
    },
  };
}
