// files(filter, orderBy, first, after): every filter, every ordering (stable under ties), and a
// 1,000-file walk that sees every row exactly once while other requests insert files.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectFile } from "../../src/generated/prisma/client.ts";
import { type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";

interface Page {
  files: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: { id: string } }[];
  };
}

const FILES = `query($filter: FileFilter, $orderBy: FileOrder, $first: Int, $after: String) {
  files(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id } }
  }
}`;

describe("files: filters and orderings", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ PAGE_SIZE_MAX: "500" });
  });
  afterAll(() => t?.close());

  async function walk(variables: Record<string, unknown>, first: number, between?: () => Promise<unknown>) {
    const ids: string[] = [];
    let after: string | null = null;
    let total = -1;
    for (;;) {
      const r: Page = await t.ok<Page>(FILES, { ...variables, first, after });
      total = r.files.totalCount;
      ids.push(...r.files.edges.map((e) => e.node.id));
      if (!r.files.pageInfo.hasNextPage) break;
      after = r.files.pageInfo.endCursor;
      if (between) await between();
    }
    return { ids, total };
  }

  it("each filter selects exactly the matching live files", async () => {
    const projectId = randomUUID();
    const workspaceId = randomUUID();
    const contract = await buildContract(t.prisma, { projectId });
    const f = (o: Parameters<typeof buildFile>[1]) => buildFile(t.prisma, { projectId, ...o });
    const root = await f({ uiName: "Quarterly Report.csv", createdAt: new Date("2026-01-01T00:00:00Z") });
    const a = await f({
      parent: root,
      workspaceId,
      fileType: "dataset",
      mimeType: "application/parquet",
      dataClassification: "confidential",
      boundaryContractId: contract.id,
      representationType: "parquet",
      processingStatus: "completed",
      uiName: "report.parquet",
      createdAt: new Date("2026-02-01T00:00:00Z"),
    });
    const b = await f({
      parent: a,
      workspaceId,
      fileType: "image",
      mimeType: "image/png",
      dataClassification: "public",
      representationType: "thumbnail",
      processingStatus: "failed",
      uiName: "thumb_100%.png",
      createdAt: new Date("2026-03-01T00:00:00Z"),
    });
    const other = await f({ uiName: "1000 rows, unrelated", createdAt: new Date("2026-04-01T00:00:00Z") });
    await f({ parent: root, uiName: "report deleted", deletedAt: new Date() });

    const cases: [Record<string, unknown>, ProjectFile[]][] = [
      [{}, [root, a, b, other]],
      [{ workspaceId }, [a, b]],
      [{ processingStatus: ["COMPLETED", "FAILED"] }, [a, b]],
      [{ processingStatus: ["PENDING"] }, [root, other]],
      [{ fileType: "image" }, [b]],
      [{ mimeType: "application/parquet" }, [a]],
      [{ dataClassification: ["CONFIDENTIAL", "PUBLIC"] }, [a, b]],
      [{ boundaryContractId: contract.id }, [a]],
      [{ representationType: "thumbnail" }, [b]],
      [{ rootId: root.id }, [root, a, b]],
      [{ search: "REPORT" }, [root, a]],
      [{ search: "100%" }, [b]], // LIKE wildcards in the text are matched literally
      [{ search: "_" }, [b]],
      [{ search: "\\" }, []],
      [{ createdFrom: "2026-02-01T00:00:00Z", createdBefore: "2026-04-01T00:00:00Z" }, [a, b]],
      [{ workspaceId, fileType: "dataset" }, [a]],
    ];
    for (const [filter, expected] of cases) {
      const { ids, total } = await walk({ filter: { projectId, ...filter } }, 2);
      expect({ filter, ids }).toEqual({ filter, ids: expected.map((x) => x.id) });
      expect(total).toBe(expected.length);
    }
  });

  it("a legacy root (NULL root) is found by rootId with its tree", async () => {
    const legacy = await buildFile(t.prisma, { rootFileId: null });
    const child = await buildFile(t.prisma, { parent: legacy });
    const { ids } = await walk({ filter: { rootId: legacy.id } }, 10);
    expect(ids).toEqual([legacy.id, child.id]);
  });

  it("search text must be 1 to 200 characters", async () => {
    const r = await t.gql(FILES, { filter: { search: "" } });
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", argument: "filter.search" } });
  });

  it("orders by created-at, name, size and depth, both ways, with ties broken by id, across pages", async () => {
    const projectId = randomUUID();
    const at = new Date("2026-05-01T00:00:00Z");
    const rows: ProjectFile[] = [];
    let parent: ProjectFile | undefined;
    for (let i = 0; i < 23; i++) {
      const row: ProjectFile = await buildFile(t.prisma, {
        projectId,
        ...(parent && i % 3 === 0 ? { parent } : {}),
        uiName: `name-${i % 4}`,
        fileSizeBytes: i % 5 === 0 ? null : BigInt(i % 3),
        createdAt: new Date(at.getTime() + (i % 6) * 1000),
      });
      rows.push(row);
      if (i % 7 === 0) parent = row;
    }
    const cmp = (x: string | number | bigint | Date | null, y: typeof x) =>
      x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : x > y ? 1 : 0;
    const key: Record<string, (f: ProjectFile) => string | number | bigint | Date | null> = {
      CREATED_AT: (f) => f.createdAt.getTime(),
      NAME: (f) => f.uiName,
      SIZE: (f) => f.fileSizeBytes,
      DEPTH: (f) => f.lineageDepth,
    };
    for (const field of Object.keys(key)) {
      for (const direction of ["ASC", "DESC"]) {
        const sign = direction === "ASC" ? 1 : -1;
        const get = key[field] as (f: ProjectFile) => string | number | bigint | Date | null;
        const expected = [...rows].sort((p, q) => {
          const a = get(p);
          const b = get(q);
          if (a === null || b === null) return cmp(a, b) || sign * (p.id < q.id ? -1 : 1); // unknown sizes last
          return sign * (cmp(a, b) || (p.id < q.id ? -1 : 1));
        });
        for (const first of [1, 4, 50]) {
          const { ids } = await walk({ filter: { projectId }, orderBy: { field, direction } }, first);
          expect({ field, direction, first, ids }).toEqual({ field, direction, first, ids: expected.map((f) => f.id) });
        }
      }
    }
  });

  it("pages backwards with last/before through the same order", async () => {
    const projectId = randomUUID();
    for (let i = 0; i < 7; i++) await buildFile(t.prisma, { projectId, uiName: `b${i % 3}` });
    const orderBy = { field: "NAME", direction: "DESC" };
    const forward = (await walk({ filter: { projectId }, orderBy }, 50)).ids;
    const backward: string[] = [];
    let before: string | null = null;
    for (;;) {
      const r: {
        files: { pageInfo: { hasPreviousPage: boolean; startCursor: string }; edges: { node: { id: string } }[] };
      } = await t.ok(
        `query($p: UUID!, $o: FileOrder, $before: String) { files(filter: { projectId: $p }, orderBy: $o, last: 3, before: $before) {
            pageInfo { hasPreviousPage startCursor } edges { node { id } } } }`,
        { p: projectId, o: orderBy, before },
      );
      backward.unshift(...r.files.edges.map((e) => e.node.id));
      if (!r.files.pageInfo.hasPreviousPage) break;
      before = r.files.pageInfo.startCursor;
    }
    expect(backward).toEqual(forward);
  });

  it("walking 1,000 files page by page returns each exactly once, in order, while files are being inserted", async () => {
    const projectId = randomUUID();
    const start = Date.parse("2026-06-01T00:00:00Z");
    // ten distinct timestamps for 1,000 rows: the order rests on the id tie-break
    const data = Array.from({ length: 1000 }, (_, i) => ({
      id: randomUUID(),
      projectId,
      uiName: `bulk ${i}`,
      filePath: `/bulk/${i}`,
      createdAt: new Date(start + (i % 10) * 60_000),
    }));
    await t.prisma.projectFile.createMany({ data: data.map((d) => ({ ...d, rootFileId: d.id })) });
    const existing = new Set(data.map((d) => d.id));
    let inserted = 0;
    const insert = async () => {
      // new rows before, inside and after the walk's position
      const batch = [0, 5, 20].map((minute) => {
        const id = randomUUID();
        inserted++;
        return {
          id,
          rootFileId: id,
          projectId,
          uiName: `late ${inserted}`,
          filePath: `/late/${inserted}`,
          createdAt: new Date(start + minute * 60_000),
        };
      });
      await t.prisma.projectFile.createMany({ data: batch });
    };

    for (const orderBy of [undefined, { field: "NAME", direction: "DESC" }]) {
      const seen: string[] = [];
      let after: string | null = null;
      let previous: ProjectFile | null = null;
      for (;;) {
        // a request and an insert run at the same time, and another insert lands between pages
        const [r]: [Page, unknown] = await Promise.all([
          t.ok<Page>(FILES, { filter: { projectId }, orderBy, first: 100, after }),
          insert(),
        ]);
        const ids = r.files.edges.map((e) => e.node.id);
        const rows = await t.prisma.projectFile.findMany({ where: { id: { in: ids } } });
        const byId = new Map(rows.map((row) => [row.id, row]));
        for (const id of ids) {
          const row = byId.get(id) as ProjectFile;
          if (previous) {
            const before =
              orderBy === undefined
                ? previous.createdAt < row.createdAt || (+previous.createdAt === +row.createdAt && previous.id < row.id)
                : previous.uiName > row.uiName || (previous.uiName === row.uiName && previous.id > row.id);
            expect(before, `${previous.id} then ${id}`).toBe(true);
          }
          previous = row;
        }
        seen.push(...ids);
        if (!r.files.pageInfo.hasNextPage) break;
        after = r.files.pageInfo.endCursor;
        await insert();
      }
      expect(new Set(seen).size).toBe(seen.length); // nothing twice
      const missing = [...existing].filter((id) => !seen.includes(id));
      expect(missing).toEqual([]); // every row that existed before the walk
    }
    expect(inserted).toBeGreaterThan(60);
  });
});
