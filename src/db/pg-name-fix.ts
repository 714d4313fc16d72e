import pg from "pg";

// adapter-pg 6.19 cannot decode `name` (OID 19) and `"char"` (OID 18) columns, which the schema
// engine's catalog queries return (prisma/orm#27403). Report them as text / text[].
const REMAP: Record<number, number> = { 18: 25, 19: 25, 1002: 1009, 1003: 1009 };

interface Field {
  dataTypeID: number;
}
function fix<R>(res: R): R {
  for (const r of [res].flat() as { fields?: Field[] }[]) {
    for (const f of r?.fields ?? []) f.dataTypeID = REMAP[f.dataTypeID] ?? f.dataTypeID;
  }
  return res;
}

export class NameAsTextClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg.Client.query has a dozen overloads
  override query(...args: any[]): any {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (e: unknown, r: unknown) => last(e, r && fix(r));
      // biome-ignore lint/suspicious/noExplicitAny: see above
      return (super.query as any)(...args);
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const p = (super.query as any)(...args);
    return p && typeof p.then === "function" ? p.then(fix) : p;
  }
}
