import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";

/**
 * Opens a PGlite data directory ("memory://" for a throw-away one). Without
 * log_startup_progress_interval=0, a directory that needed WAL redo keeps a 10 s periodic timer
 * armed forever and Node never exits.
 */
export function openPGlite(dir: string, opts: PGliteOptions = {}): PGlite {
  // biome-ignore lint/suspicious/noExplicitAny: defaultStartParams is not in PGlite's public types
  const defaults: string[] = (PGlite as any).defaultStartParams ?? [];
  return new PGlite(dir, {
    ...opts,
    startParams: [...defaults, "-c", "log_startup_progress_interval=0"],
  });
}

// Fixes for pglite-prisma-adapter 0.6.1 (needed by the WASM schema engine):
//  * executeScript() does not await client.exec(): a failing migration is recorded as applied.
//  * executeRaw() without params uses the extended protocol, so multi-statement migration
//    scripts replayed into the shadow DB fail ("cannot insert multiple commands into a prepared
//    statement").
//  * onError() does not fill in originalCode/originalMessage as adapter-pg does, so Prisma reports
//    a constraint violation from a raw query as "Code: N/A. Message: undefined". Patched on the
//    shared prototype, so that transactions (separate objects) get it too.
let onErrorPatched = false;
// biome-ignore lint/suspicious/noExplicitAny: the adapter's classes are not exported
function patchOnError(proto: any): void {
  if (onErrorPatched || typeof proto?.onError !== "function") return;
  const original = proto.onError;
  proto.onError = function onError(error: unknown) {
    try {
      original.call(this, error);
    } catch (thrown) {
      const cause = (thrown as { cause?: Record<string, unknown> }).cause;
      if (cause?.kind === "postgres") {
        cause.originalCode ??= cause.code;
        cause.originalMessage ??= cause.message;
      }
      throw thrown;
    }
  };
  onErrorPatched = true;
}

function patch<T>(adapter: T): T {
  // biome-ignore lint/suspicious/noExplicitAny: reaching into the adapter to replace two methods
  const a = adapter as any;
  patchOnError(Object.getPrototypeOf(Object.getPrototypeOf(a)));
  const execRaw = a.executeRaw.bind(a);
  a.executeScript = async (script: string) => {
    try {
      await a.client.exec(script);
    } catch (e) {
      a.onError(e);
    }
  };
  a.executeRaw = async (q: { sql: string; args: unknown[] }) => {
    if (q.args.length > 0) return execRaw(q);
    try {
      const res = await a.client.exec(q.sql);
      return res.reduce((n: number, r: { affectedRows?: number }) => n + (r.affectedRows ?? 0), 0);
    } catch (e) {
      a.onError(e);
    }
  };
  return adapter;
}

export class PatchedPGliteFactory extends PrismaPGlite {
  override async connect() {
    return patch(await super.connect());
  }
  // the stock shadow (new PGlite("memory://shadow")) lacks both fixes
  override async connectToShadowDb() {
    return patch(await new PrismaPGlite(openPGlite("memory://")).connect());
  }
}
