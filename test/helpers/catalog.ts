// Reads a database's real shape from the catalog, the same way on PostgreSQL 15 and PGlite.
import type { PrismaClient } from "../../src/generated/prisma/client.ts";

export interface Column {
  type: string;
  nullable: boolean;
}

export async function columns(prisma: PrismaClient, table: string): Promise<Record<string, Column>> {
  const rows = await prisma.$queryRawUnsafe<{ name: string; type: string; nullable: boolean }[]>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
     FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    table,
  );
  return Object.fromEntries(rows.map((r) => [r.name, { type: r.type, nullable: r.nullable }]));
}

/** "table.column -> table.column" for every foreign key on the table. */
export async function foreignKeys(prisma: PrismaClient, table: string): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ fk: string }[]>(
    `SELECT format('%s.%s -> %s.%s', c.conrelid::regclass, a.attname, c.confrelid::regclass, af.attname) AS fk
     FROM pg_constraint c
     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
     WHERE c.contype = 'f' AND c.conrelid = to_regclass($1)`,
    table,
  );
  return rows.map((r) => r.fk).sort();
}

/** Each index as its definition without the name, e.g. "UNIQUE btree (project_id) WHERE is_default". */
export async function indexes(prisma: PrismaClient, table: string): Promise<Record<string, string>> {
  const rows = await prisma.$queryRawUnsafe<{ name: string; def: string }[]>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename = $1`,
    table,
  );
  return Object.fromEntries(
    rows.map((r) => [r.name, r.def.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ USING /, "$1").trim()]),
  );
}

export async function checkConstraints(prisma: PrismaClient, table: string): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ name: string }[]>(
    `SELECT conname AS name FROM pg_constraint WHERE contype = 'c' AND conrelid = to_regclass($1)`,
    table,
  );
  return rows.map((r) => r.name).sort();
}
