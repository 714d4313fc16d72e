// The read rule exists three times: canReadFile (src/domain/access.ts, applied to a loaded row),
// visibleFiles (a Prisma filter for lists and counts) and visibleSql (the same filter in the
// hand-written lineage statements). This test asks all three about every combination of caller
// and file, odd `permissions` shapes included, and fails on the first disagreement.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { visibleFiles, visibleSql } from "../../src/db/access.ts";
import { canReadFile } from "../../src/domain/access.ts";
import { ANONYMOUS, DEVELOPMENT, type Identity } from "../../src/domain/identity.ts";
import { ACCESS_LEVELS, CLASSIFICATIONS } from "../../src/domain/vocabulary.ts";
import { Prisma, type PrismaClient } from "../../src/generated/prisma/client.ts";
import { type MigratedDatabase, migratedDatabase } from "../helpers/db.ts";

const WS_A = randomUUID();
const WS_B = randomUUID();

const caller = (overrides: Partial<Identity>): Identity => ({
  kind: "token",
  subject: "ana",
  groups: [],
  workspaces: [],
  clearance: "internal",
  roles: [],
  ...overrides,
});

const CALLERS: Record<string, Identity> = {
  anonymous: ANONYMOUS,
  development: DEVELOPMENT,
  admin: caller({ roles: ["admin"], clearance: "public" }),
  "signed in, public clearance": caller({ clearance: "public" }),
  "signed in, internal clearance": caller({}),
  "member of A, confidential": caller({ workspaces: [WS_A], clearance: "confidential" }),
  "in group g1, restricted": caller({ subject: "bo", groups: ["g1"], clearance: "restricted" }),
  "in two groups and two workspaces": caller({
    subject: "cy",
    groups: ["g1", "g2"],
    workspaces: [WS_A, WS_B],
    clearance: "restricted",
  }),
};

const PERMISSIONS: unknown[] = [
  {},
  { read: ["user:ana"] },
  { read: ["group:g1", "user:zed"] },
  { read: ["group:g2"], write: ["user:ana"] },
  { read: "user:ana" }, // not a list: grants nothing
  { read: [["user:ana"]] }, // nested: grants nothing
  { read: [{ user: "ana" }, 7, null] },
  { read: { "user:ana": true } },
];

describe("the read rule: canReadFile, visibleFiles and visibleSql agree", () => {
  let m: MigratedDatabase;
  let prisma: PrismaClient;
  let files: Awaited<ReturnType<PrismaClient["projectFile"]["findMany"]>>;
  beforeAll(async () => {
    m = await migratedDatabase();
    prisma = m.db.prisma;
    const projectId = randomUUID();
    const data: Prisma.ProjectFileCreateManyInput[] = [];
    for (const accessLevel of ACCESS_LEVELS)
      for (const dataClassification of CLASSIFICATIONS)
        for (const workspaceId of [null, WS_A, WS_B])
          for (const createdBy of [null, "ana", "bo"])
            for (const permissions of PERMISSIONS)
              data.push({
                projectId,
                uiName: "f",
                filePath: "/f",
                accessLevel,
                dataClassification,
                workspaceId,
                createdBy,
                permissions: permissions as Prisma.InputJsonValue,
              });
    await prisma.projectFile.createMany({ data });
    files = await prisma.projectFile.findMany({ where: { projectId } });
    expect(files).toHaveLength(data.length);
  });
  afterAll(() => m?.drop());

  for (const [name, identity] of Object.entries(CALLERS)) {
    it(name, async () => {
      const ids = files.map((f) => f.id);
      const expected = files.filter((f) => canReadFile(identity, f)).map((f) => f.id);
      const byPrisma = await prisma.projectFile.findMany({
        where: { AND: [{ id: { in: ids } }, visibleFiles(identity)] },
        select: { id: true },
        orderBy: { id: "asc" },
      });
      const bySql = await prisma.$queryRaw<{ id: string }[]>(
        Prisma.sql`SELECT f.file_uuid AS id FROM project_files f
          WHERE f.file_uuid = ANY(${ids}::uuid[]) AND ${visibleSql(identity, "f")} ORDER BY f.file_uuid`,
      );
      expect(byPrisma.map((r) => r.id)).toEqual([...expected].sort());
      expect(bySql.map((r) => r.id)).toEqual([...expected].sort());
      // the grid is wide enough to tell the callers apart: each sees some files and misses some
      if (identity.roles.includes("admin")) expect(expected).toHaveLength(files.length);
      else expect(expected.length).toBeGreaterThan(0);
    });
  }
});
