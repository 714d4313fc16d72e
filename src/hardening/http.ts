// Checks on the HTTP request, before its body is parsed: CSRF prevention and MAX_BODY_BYTES.
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

/** The header that marks a request a browser could only have sent after a CORS preflight. */
export const CSRF_HEADER = "x-graphql-yoga-csrf";

// The content types an HTML form (or a script without a preflight) can send.
const SIMPLE_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];

/**
 * CSRF prevention, as @graphql-yoga/plugin-csrf-prevention does it: a browser sends a GET, or a
 * POST of a form or plain text, to any site without a CORS preflight, so such a request must carry
 * the CSRF_HEADER header (which no page of another site can add without the preflight). A POST of
 * JSON (or another non-simple type) needs nothing more. GraphiQL and the health check are served
 * before this runs.
 */
export function csrfPrevention(): Plugin {
  return {
    onRequestParse({ request }) {
      const type = request.headers.get("content-type")?.trim().toLowerCase();
      if (type && !SIMPLE_CONTENT_TYPES.some((simple) => type.startsWith(simple))) return;
      if (request.headers.has(CSRF_HEADER)) return;
      throw new GraphQLError(
        `Refused as a possible cross-site request: send the operation as a POST with content-type application/json, or add the header ${CSRF_HEADER}.`,
        { extensions: { code: "CSRF_PREVENTED", http: { status: 403 } } },
      );
    },
  };
}

function tooLarge(message: string, max: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "REQUEST_TOO_LARGE", max, http: { status: 413 } } });
}

type FetchAPI = Parameters<NonNullable<Plugin["onRequestParse"]>>[0]["fetchAPI"];

/** The request with a body that fails (413) as soon as more than `max` bytes have been read. */
function capped(request: Request, max: number, fetchAPI: FetchAPI): Request {
  const body = request.body;
  if (!body) return request;
  // A native stream needs the native TransformStream, a ponyfilled one the ponyfill's.
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let read = 0;
  const limited = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > max) {
          controller.error(tooLarge(`The request body is larger than the limit of ${max} bytes.`, max));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: limited,
    duplex: "half",
  } as RequestInit);
}

/**
 * MAX_BODY_BYTES: a declared Content-Length above the limit is refused before anything is read; a
 * body without one (chunked) is counted while it is read and refused once it passes the limit.
 * Either way the answer is 413 with a GraphQL error naming the limit.
 */
export function bodyLimit(max: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get("content-length");
      if (declared !== null) {
        if (!/^\d+$/.test(declared)) {
          throw new GraphQLError("The Content-Length header is not a number of bytes.", {
            extensions: { code: "BAD_REQUEST", http: { status: 400 } },
          });
        }
        if (Number(declared) > max) {
          throw tooLarge(`The request body is ${declared} bytes; at most ${max} are accepted.`, max);
        }
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((req) => parse(capped(req, max, fetchAPI)));
    },
  };
}
