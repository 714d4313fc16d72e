// Lineage reads over HTTP: lineage(fileId, direction, maxDepth) and a file's ancestors and
// descendants. Exact trees, bounds, deleted and legacy rows, argument errors, keyset pagination
// under concurrent inserts, and the number of SQL statements a page costs.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectFile } from "../../src/generated/prisma/client.ts";
import { type GraphQLResponse, type TestApp, testApp } from "../helpers/app.ts";
import { buildContract, buildFile, buildLegacyFile } from "../helpers/factories.ts";

const PAGE_MAX = 100;

interface Node {
  id: string;
  depth: number;
  distance: number;
  parentId: string | null;
}

interface LineagePage {
  lineage: {
    totalCount?: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    edges: { cursor: string; node: Node & { file?: { id: string; uiName: string } | null } }[];
  } | null;
}

const LINEAGE = `query($id: UUID!, $direction: LineageDirection, $maxDepth: Int, $first: Int, $after: String) {
  lineage(fileId: $id, direction: $direction, maxDepth: $maxDepth, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id depth distance parentId file { id uiName } } }
  }
}`;

/**
 * Ids that sort in the order of `n` within one tree: a random first group (so trees never collide)
 * and `n` at the end. UUIDs order as their lowercase hex text does.
 */
function idMaker(): (n: number) => string {
  const prefix = randomBytes(4).toString("hex");
  // variant nibble `a` (not `8`): every id has a hex letter, so its upper-case form is a different text
  return (n) => `${prefix}-0000-4000-a000-${n.toString(16).padStart(12, "0")}`;
}

/** The cursor the API writes for (depth, id), to build bad ones next to it. */
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("lineage", () => {
  let t: TestApp;
  // R ─┬─ A ─┬─ A1 ── A1x
  //    │     └─ A2
  //    └─ B ─── B1
  let f: Record<"R" | "A" | "B" | "A1" | "A2" | "B1" | "A1x", ProjectFile>;

  const node = (file: ProjectFile, startDepth: number): Node => ({
    id: file.id,
    depth: file.lineageDepth,
    distance: file.lineageDepth - startDepth,
    parentId: file.parentFileId,
  });

  async function walk(id: string, variables: Record<string, unknown> = {}) {
    const r = await t.gql<LineagePage>(LINEAGE, { id, ...variables });
    expect(r.errors).toBeUndefined();
    const lineage = r.data?.lineage;
    if (!lineage) throw new Error("no lineage");
    return { ...lineage, nodes: lineage.edges.map((e) => ({ ...e.node, file: undefined })) };
  }

  beforeAll(async () => {
    t = await testApp({ PAGE_SIZE_DEFAULT: "50", PAGE_SIZE_MAX: String(PAGE_MAX) });
    const id = idMaker();
    const R = await buildFile(t.prisma, { id: id(1) });
    const A = await buildFile(t.prisma, { id: id(2), parent: R });
    const B = await buildFile(t.prisma, { id: id(3), parent: R });
    const A1 = await buildFile(t.prisma, { id: id(4), parent: A });
    const A2 = await buildFile(t.prisma, { id: id(5), parent: A });
    const B1 = await buildFile(t.prisma, { id: id(6), parent: B });
    const A1x = await buildFile(t.prisma, { id: id(7), parent: A1 });
    f = { R, A, B, A1, A2, B1, A1x };
  });
  afterAll(() => t?.close());

  it("DOWN from a root: the whole tree, by depth then id, with distances and parents", async () => {
    const { R, A, B, A1, A2, B1, A1x } = f;
    const r = await walk(R.id);
    expect(r.nodes.map((n) => ({ ...n, file: undefined }))).toEqual([
      { id: R.id, depth: 0, distance: 0, parentId: null },
      { id: A.id, depth: 1, distance: 1, parentId: R.id },
      { id: B.id, depth: 1, distance: 1, parentId: R.id },
      { id: A1.id, depth: 2, distance: 2, parentId: A.id },
      { id: A2.id, depth: 2, distance: 2, parentId: A.id },
      { id: B1.id, depth: 2, distance: 2, parentId: B.id },
      { id: A1x.id, depth: 3, distance: 3, parentId: A1.id },
    ]);
    expect(r.totalCount).toBe(7);
    expect(r.edges[0]?.node.file).toEqual({ id: R.id, uiName: R.uiName });
    expect(r.edges.every((e) => e.node.file?.id === e.node.id)).toBe(true);
    expect(r.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it("DOWN from an inner node: the node and its subtree only", async () => {
    const { R, A, A1, A2, A1x } = f;
    const r = await walk(A.id, { direction: "DOWN" });
    expect(r.nodes).toEqual([
      { id: A.id, depth: 1, distance: 0, parentId: R.id },
      { id: A1.id, depth: 2, distance: 1, parentId: A.id },
      { id: A2.id, depth: 2, distance: 1, parentId: A.id },
      { id: A1x.id, depth: 3, distance: 2, parentId: A1.id },
    ]);
    expect(r.totalCount).toBe(4);
  });

  it("UP: the file and its ancestors, root first, with negative distances", async () => {
    const { R, A, A1, A1x } = f;
    const r = await walk(A1x.id, { direction: "UP" });
    expect(r.nodes).toEqual([
      { id: R.id, depth: 0, distance: -3, parentId: null },
      { id: A.id, depth: 1, distance: -2, parentId: R.id },
      { id: A1.id, depth: 2, distance: -1, parentId: A.id },
      { id: A1x.id, depth: 3, distance: 0, parentId: A1.id },
    ]);
    expect(r.totalCount).toBe(4);
    expect((await walk(f.R.id, { direction: "UP" })).nodes).toEqual([node(R, 0)]);
  });

  it("BOTH: ancestors, the file and its descendants, but not its siblings", async () => {
    const { R, A, A1, A1x } = f;
    const r = await walk(A1.id, { direction: "BOTH" });
    expect(r.nodes).toEqual([
      { id: R.id, depth: 0, distance: -2, parentId: null },
      { id: A.id, depth: 1, distance: -1, parentId: R.id },
      { id: A1.id, depth: 2, distance: 0, parentId: A.id },
      { id: A1x.id, depth: 3, distance: 1, parentId: A1.id },
    ]);
    expect(r.totalCount).toBe(4);
  });

  it("maxDepth bounds each direction; 0 is the file alone", async () => {
    const { R, A, B, A1, A2, A1x } = f;
    const ids = async (id: string, direction: string, maxDepth: number) => {
      const r = await walk(id, { direction, maxDepth });
      expect(r.totalCount).toBe(r.nodes.length);
      return r.nodes.map((n) => n.id);
    };
    expect(await ids(R.id, "DOWN", 1)).toEqual([R.id, A.id, B.id]);
    expect(await ids(A.id, "DOWN", 1)).toEqual([A.id, A1.id, A2.id]);
    expect(await ids(A1x.id, "UP", 2)).toEqual([A.id, A1.id, A1x.id]);
    expect(await ids(A.id, "BOTH", 1)).toEqual([R.id, A.id, A1.id, A2.id]);
    for (const direction of ["UP", "DOWN", "BOTH"]) expect(await ids(A1.id, direction, 0)).toEqual([A1.id]);
    expect(await ids(R.id, "DOWN", 1_000_000)).toHaveLength(7);
  });

  it("pages with opaque cursors: every file once, in order, with pageInfo", async () => {
    const all = (await walk(f.R.id)).nodes.map((n) => n.id);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r = await walk(f.R.id, { first: 3, after });
      expect(r.totalCount).toBe(7);
      expect(r.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(r.pageInfo.startCursor).toBe(r.edges[0]?.cursor);
      expect(r.pageInfo.endCursor).toBe(r.edges[r.edges.length - 1]?.cursor);
      seen.push(...r.nodes.map((n) => n.id));
      pages++;
      if (!r.pageInfo.hasNextPage) break;
      after = r.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
    const empty = await walk(f.R.id, { first: 0 });
    expect(empty.edges).toEqual([]);
    expect(empty.pageInfo).toMatchObject({ hasNextPage: true, startCursor: null, endCursor: null });
  });

  it("selects only what is asked: no files are read when `file` is not selected", async () => {
    const statements = await t.statements(() =>
      t.ok(`query($id: UUID!) { lineage(fileId: $id) { edges { node { id depth } } } }`, { id: f.R.id }),
    );
    expect(statements.filter((s) => /"ui_name"/.test(s))).toEqual([]);
  });

  it("deleted files drop out of every walk, and a deleted start is null", async () => {
    const id = idMaker();
    const root = await buildFile(t.prisma, { id: id(1) });
    const kept = await buildFile(t.prisma, { id: id(2), parent: root });
    const gone = await buildFile(t.prisma, { id: id(3), parent: root, deletedAt: new Date() });
    const goneChild = await buildFile(t.prisma, { id: id(4), parent: gone, deletedAt: new Date() });
    const leaf = await buildFile(t.prisma, { id: id(5), parent: kept });
    await buildFile(t.prisma, { id: id(6), parent: kept, deletedAt: new Date() });

    expect((await walk(root.id)).nodes.map((n) => n.id)).toEqual([root.id, kept.id, leaf.id]);
    expect((await walk(root.id)).totalCount).toBe(3);
    expect((await walk(kept.id)).nodes.map((n) => n.id)).toEqual([kept.id, leaf.id]);
    expect((await walk(leaf.id, { direction: "UP" })).nodes.map((n) => n.id)).toEqual([root.id, kept.id, leaf.id]);
    expect((await t.gql(LINEAGE, { id: gone.id })).data).toEqual({ lineage: null });
    expect((await t.gql(LINEAGE, { id: goneChild.id, direction: "UP" })).data).toEqual({ lineage: null });

    const r = await t.ok<{
      file: { ancestors: { id: string }[]; descendants: { totalCount: number; edges: { node: { id: string } }[] } };
    }>(`query($id: UUID!) { file(id: $id) { ancestors { id } descendants { totalCount edges { node { id } } } } }`, {
      id: kept.id,
    });
    expect(r.file.ancestors.map((a) => a.id)).toEqual([root.id]);
    expect(r.file.descendants).toEqual({ totalCount: 1, edges: [{ node: { id: leaf.id } }] });
  });

  it("a legacy root with a NULL root_file_uuid, and its children pointing at it, walk like any tree", async () => {
    const id = idMaker();
    const legacy = await buildLegacyFile(t.prisma, { id: id(1), rootFileId: null });
    expect(legacy.rootFileId).toBeNull();
    const child = await buildFile(t.prisma, { id: id(2), parent: legacy });
    const grandchild = await buildFile(t.prisma, { id: id(3), parent: child });
    expect(child.rootFileId).toBe(legacy.id);

    expect((await walk(legacy.id)).nodes).toEqual([node(legacy, 0), node(child, 0), node(grandchild, 0)]);
    expect((await walk(legacy.id)).totalCount).toBe(3);
    expect((await walk(grandchild.id, { direction: "UP" })).nodes).toEqual([
      node(legacy, 2),
      node(child, 2),
      node(grandchild, 2),
    ]);
    expect((await walk(child.id, { direction: "BOTH" })).nodes.map((n) => n.id)).toEqual([
      legacy.id,
      child.id,
      grandchild.id,
    ]);
    const r = await t.ok<{
      a: { ancestors: { id: string }[] };
      d: { descendants: { totalCount: number; edges: { node: { id: string } }[] } };
    }>(
      `query($g: UUID!, $l: UUID!) { a: file(id: $g) { ancestors { id } } d: file(id: $l) { descendants { totalCount edges { node { id } } } } }`,
      { g: grandchild.id, l: legacy.id },
    );
    expect(r.a.ancestors.map((a) => a.id)).toEqual([legacy.id, child.id]);
    expect(r.d.descendants.edges.map((e) => e.node.id)).toEqual([child.id, grandchild.id]);
    expect(r.d.descendants.totalCount).toBe(2);
  });

  it("follows only edges one level apart, so bad depths cannot loop or leak into a walk", async () => {
    const id = idMaker();
    const root = await buildFile(t.prisma, { id: id(1) });
    const child = await buildFile(t.prisma, { id: id(2), parent: root });
    // written around the service before the triggers: claims to be child's child but skips a level
    const skipper = await buildLegacyFile(t.prisma, { id: id(3), parent: child, lineageDepth: 5 });
    expect((await walk(child.id)).nodes.map((n) => n.id)).toEqual([child.id]);
    expect((await walk(skipper.id, { direction: "UP" })).nodes.map((n) => n.id)).toEqual([skipper.id]);
  });

  it("an unknown file is null", async () => {
    const r = await t.gql(LINEAGE, { id: randomUUID() });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ lineage: null });
  });

  it("refuses a malformed cursor, a negative maxDepth and a page over the maximum, with clear errors", async () => {
    const uuid = f.A.id;
    expect(uuid.toUpperCase()).not.toBe(uuid); // else the upper-case cursor below would be a valid one
    const bad = [
      "not a cursor",
      "bm90IGpzb24", // "not json"
      cursorOf([1]),
      cursorOf(["1", uuid]),
      cursorOf([-1, uuid]),
      cursorOf([1.5, uuid]),
      cursorOf([1, "not-a-uuid"]),
      cursorOf([1, uuid.toUpperCase()]),
      cursorOf([1, uuid, 3]),
      cursorOf({ depth: 1, id: uuid }),
      `${cursorOf([1, uuid])}==`,
    ];
    for (const after of bad) {
      const r = await t.gql(LINEAGE, { id: f.R.id, after });
      expect(r.data, after).toEqual({ lineage: null });
      expect(r.errors?.[0], after).toMatchObject({
        message: expect.stringContaining("`after` is not a cursor of this list"),
        extensions: { code: "BAD_USER_INPUT", argument: "after" },
      });
    }
    const good = await walk(f.R.id, { after: cursorOf([1, uuid]) });
    expect(good.nodes[0]?.id).toBe(f.B.id);

    const negative = await t.gql(LINEAGE, { id: f.R.id, maxDepth: -1 });
    expect(negative.errors?.[0]).toMatchObject({
      message: "`maxDepth` must be 0 or more; got -1. Leave it out for no limit.",
      extensions: { code: "BAD_USER_INPUT", argument: "maxDepth" },
    });
    const over = await t.gql(LINEAGE, { id: f.R.id, first: PAGE_MAX + 1 });
    expect(over.errors?.[0]).toMatchObject({
      message: expect.stringContaining(`\`first\` must be between 0 and ${PAGE_MAX}; got ${PAGE_MAX + 1}`),
      extensions: { code: "BAD_USER_INPUT", argument: "first", max: PAGE_MAX },
    });

    const onFile = `query($id: UUID!, $maxDepth: Int, $first: Int, $after: String) {
      file(id: $id) { descendants(maxDepth: $maxDepth, first: $first, after: $after) { totalCount } } }`;
    for (const [variables, argument] of [
      [{ after: "nope" }, "after"],
      [{ maxDepth: -2 }, "maxDepth"],
      [{ first: PAGE_MAX + 1 }, "first"],
    ] as const) {
      const r = await t.gql(onFile, { id: f.R.id, ...variables });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument });
    }
  });

  it("ancestors: root first, nearest last; empty for a root", async () => {
    const { R, A, A1, A1x } = f;
    const r = await t.ok<{
      a: { ancestors: { id: string; depth: number; distance: number }[] };
      r: { ancestors: unknown[] };
    }>(
      `query($a: UUID!, $r: UUID!) { a: file(id: $a) { ancestors { id depth distance } } r: file(id: $r) { ancestors { id } } }`,
      { a: A1x.id, r: R.id },
    );
    expect(r.a.ancestors).toEqual([
      { id: R.id, depth: 0, distance: -3 },
      { id: A.id, depth: 1, distance: -2 },
      { id: A1.id, depth: 2, distance: -1 },
    ]);
    expect(r.r.ancestors).toEqual([]);
  });

  it("ancestors of every file of a list, each its own", async () => {
    const { R, A, B, A1, A2, B1, A1x } = f;
    const r = await t.ok<{ files: { edges: { node: { id: string; ancestors: { id: string }[] } }[] } }>(
      `query($root: UUID!) { files(filter: { rootId: $root }, first: 10) { edges { node { id ancestors { id } } } } }`,
      { root: R.id },
    );
    const byId = Object.fromEntries(r.files.edges.map((e) => [e.node.id, e.node.ancestors.map((a) => a.id)]));
    expect(byId).toEqual({
      [R.id]: [],
      [A.id]: [R.id],
      [B.id]: [R.id],
      [A1.id]: [R.id, A.id],
      [A2.id]: [R.id, A.id],
      [B1.id]: [R.id, B.id],
      [A1x.id]: [R.id, A.id, A1.id],
    });
  });

  it("descendants: the file left out, by depth then id, bounded by maxDepth, paged, counted", async () => {
    const { R, A, B, A1, A2, B1, A1x } = f;
    const q = `query($id: UUID!, $maxDepth: Int, $first: Int, $after: String) { file(id: $id) {
      descendants(maxDepth: $maxDepth, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id depth } } } } }`;
    interface D {
      file: {
        descendants: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
          edges: { cursor: string; node: { id: string } }[];
        };
      };
    }
    const ids = (d: D) => d.file.descendants.edges.map((e) => e.node.id);

    const all = await t.ok<D>(q, { id: R.id });
    expect(ids(all)).toEqual([A.id, B.id, A1.id, A2.id, B1.id, A1x.id]);
    expect(all.file.descendants.totalCount).toBe(6);

    const one = await t.ok<D>(q, { id: R.id, maxDepth: 1 });
    expect(ids(one)).toEqual([A.id, B.id]);
    expect(one.file.descendants.totalCount).toBe(2);
    expect(ids(await t.ok<D>(q, { id: R.id, maxDepth: 0 }))).toEqual([]);
    expect(ids(await t.ok<D>(q, { id: A.id }))).toEqual([A1.id, A2.id, A1x.id]);
    expect(ids(await t.ok<D>(q, { id: A.id, maxDepth: 1 }))).toEqual([A1.id, A2.id]);

    const first = await t.ok<D>(q, { id: R.id, first: 4 });
    expect(ids(first)).toEqual([A.id, B.id, A1.id, A2.id]);
    expect(first.file.descendants.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await t.ok<D>(q, { id: R.id, first: 4, after: first.file.descendants.pageInfo.endCursor });
    expect(ids(second)).toEqual([B1.id, A1x.id]);
    expect(second.file.descendants.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    // the same cursors as lineage's: a descendant's cursor continues a lineage walk
    const fromLineage = await walk(R.id, { after: first.file.descendants.pageInfo.endCursor });
    expect(fromLineage.nodes.map((n) => n.id)).toEqual([B1.id, A1x.id]);
    // a subtree below an inner node pages the same way
    const inner = await t.ok<D>(q, { id: A.id, first: 2 });
    expect(ids(inner)).toEqual([A1.id, A2.id]);
    const innerNext = await t.ok<D>(q, { id: A.id, first: 2, after: inner.file.descendants.pageInfo.endCursor });
    expect(ids(innerNext)).toEqual([A1x.id]);
  });
});

interface TreeRow {
  id: string;
  projectId: string;
  uiName: string;
  filePath: string;
  parentFileId: string | null;
  rootFileId: string;
  lineageDepth: number;
  boundaryContractId?: string;
}

/** A file row under `parent` (or a root), as the service would place it. */
function treeRow(
  tree: { rootId: string; projectId: string },
  parent: TreeRow | null,
  id: string = randomUUID(),
): TreeRow {
  return {
    id,
    projectId: tree.projectId,
    uiName: `tree file ${id.slice(0, 8)}`,
    filePath: `/tree/${id}`,
    parentFileId: parent?.id ?? null,
    rootFileId: tree.rootId,
    lineageDepth: parent ? parent.lineageDepth + 1 : 0,
  };
}

/** A tree of `size` files, `fanout` children per file, inserted level by level with createMany. */
async function buildTree(
  t: TestApp,
  size: number,
  fanout: number,
  extra: { projectId?: string; boundaryContractId?: string } = {},
) {
  const tree = { rootId: randomUUID(), projectId: extra.projectId ?? randomUUID() };
  const make = (parent: TreeRow | null, id?: string): TreeRow => ({ ...treeRow(tree, parent, id), ...extra });
  let level = [make(null, tree.rootId)];
  const rows = [...level];
  await t.prisma.projectFile.createMany({ data: level });
  while (rows.length < size) {
    const next: TreeRow[] = [];
    for (const parent of level) {
      for (let i = 0; i < fanout && rows.length + next.length < size; i++) next.push(make(parent));
    }
    await t.prisma.projectFile.createMany({ data: next });
    rows.push(...next);
    level = next;
  }
  return { ...tree, rows };
}

describe("lineage pagination under concurrent inserts", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ PAGE_SIZE_MAX: String(PAGE_MAX) });
  });
  afterAll(() => t?.close());

  for (const [label, startAt] of [
    ["DOWN from the root (one index range read per page)", "root"],
    ["BOTH from an inner node (recursive walks per page)", "inner"],
  ] as const) {
    it(`${label}: every file that existed is returned once, in strictly increasing (depth, id)`, async () => {
      const tree = await buildTree(t, 1_000, 3);
      expect(tree.rows).toHaveLength(1_000);
      const byId = new Map(tree.rows.map((r) => [r.id, r]));
      const start = startAt === "root" ? tree.rootId : (tree.rows[1] as TreeRow).id;
      // the files the walk must return: all of them from the root; from the inner node, the root
      // (its parent), itself and its subtree
      const expected = new Set<string>();
      for (const r of tree.rows) {
        if (startAt === "root" || r.id === tree.rootId) expected.add(r.id);
        for (let p: TreeRow | undefined = r; p; p = byId.get(p.parentFileId ?? "")) {
          if (p.id === start) expected.add(r.id);
        }
      }

      let inserted = 0;
      const insertSome = async (n: number) => {
        const parents = [...byId.values()];
        const data = Array.from({ length: n }, () =>
          treeRow(tree, parents[Math.floor(Math.random() * parents.length)] as TreeRow),
        );
        await t.prisma.projectFile.createMany({ data });
        for (const d of data) byId.set(d.id, d);
        inserted += n;
      };

      const seen: { id: string; depth: number }[] = [];
      let after: string | null = null;
      for (let page = 0; page < 100; page++) {
        // inserts land between pages and while a page is being read
        await insertSome(10);
        const variables = { id: start, direction: startAt === "root" ? "DOWN" : "BOTH", first: 100, after };
        const request: Promise<GraphQLResponse<LineagePage>> = t.gql<LineagePage>(LINEAGE, variables);
        await insertSome(10);
        const r = await request;
        expect(r.errors).toBeUndefined();
        const lineage = r.data?.lineage;
        if (!lineage) throw new Error("no lineage");
        seen.push(...lineage.edges.map((e) => ({ id: e.node.id, depth: e.node.depth })));
        if (!lineage.pageInfo.hasNextPage) break;
        after = lineage.pageInfo.endCursor;
      }

      const ids = seen.map((s) => s.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [seen[i - 1], seen[i]] as [{ id: string; depth: number }, { id: string; depth: number }];
        expect(
          a.depth < b.depth || (a.depth === b.depth && a.id < b.id),
          `${i}: ${a.depth}/${a.id} then ${b.depth}/${b.id}`,
        ).toBe(true);
      }
      const returned = new Set(ids);
      const missing = [...expected].filter((id) => !returned.has(id));
      expect(missing).toEqual([]);
      expect(inserted).toBeGreaterThan(0);
      console.log(
        `lineage ${label}: ${expected.size} files before the walk, ${seen.length} returned, ${inserted} inserted meanwhile`,
      );
    });
  }
});

describe("lineage SQL statements", () => {
  let t: TestApp;
  let rootId: string;
  beforeAll(async () => {
    t = await testApp({ PAGE_SIZE_MAX: String(PAGE_MAX) });
    const contract = await buildContract(t.prisma);
    const tree = await buildTree(t, 200, 4, { boundaryContractId: contract.id, projectId: contract.projectId });
    rootId = tree.rootId;
  });
  afterAll(() => t?.close());

  it("a lineage page with each file's contract costs the same for 5 and 100 files", async () => {
    const q = `query($id: UUID!, $direction: LineageDirection, $first: Int) {
      lineage(fileId: $id, direction: $direction, first: $first) {
        edges { node { id depth file { id uiName boundaryContract { id } } } } } }`;
    const inner = (await t.prisma.projectFile.findFirstOrThrow({ where: { rootFileId: rootId, lineageDepth: 1 } })).id;
    for (const [label, id, direction] of [
      ["DOWN from the root", rootId, "DOWN"],
      ["BOTH from an inner node", inner, "BOTH"],
    ] as const) {
      const five = await t.counted(q, { id, direction, first: 5 });
      const hundred = await t.counted(q, { id, direction, first: 100 });
      console.log(
        `statements: lineage page ${label} with file { boundaryContract } = ${five.n} (first: 5), ${hundred.n} (first: 100)`,
      );
      const edges = (d: unknown) => (d as LineagePage).lineage?.edges ?? [];
      expect(edges(five.data)).toHaveLength(5);
      expect(edges(hundred.data).length).toBeGreaterThan(5);
      expect(edges(hundred.data).every((e) => e.node.file?.id === e.node.id)).toBe(true);
      expect(hundred.n).toBe(five.n);
      // the start file, the walk, the files, their contracts
      expect(hundred.n).toBeLessThanOrEqual(4);
    }
  });

  it("a page that asks for the files' own fields is ONE statement, for every shape of walk and page size", async () => {
    const inner = (await t.prisma.projectFile.findFirstOrThrow({ where: { rootFileId: rootId, lineageDepth: 1 } })).id;
    const leaf = (await t.prisma.projectFile.findFirstOrThrow({ where: { rootFileId: rootId, lineageDepth: 4 } })).id;
    const lineage = `query($id: UUID!, $direction: LineageDirection, $first: Int) {
      lineage(fileId: $id, direction: $direction, first: $first) {
        edges { node { id depth parentId file { id uiName mimeType metadata createdAt fileSizeBytes } } }
        pageInfo { hasNextPage endCursor } } }`;
    for (const [label, id, direction] of [
      ["DOWN from the root (range read)", rootId, "DOWN"],
      ["DOWN from an inner node (walk)", inner, "DOWN"],
      ["UP from a leaf", leaf, "UP"],
      ["BOTH from an inner node", inner, "BOTH"],
    ] as const) {
      const five = await t.counted(lineage, { id, direction, first: 5 });
      const hundred = await t.counted(lineage, { id, direction, first: 100 });
      console.log(`statements: lineage page ${label}, own fields = ${five.n} (first: 5), ${hundred.n} (first: 100)`);
      const edges = (hundred.data as LineagePage).lineage?.edges ?? [];
      expect(edges.length).toBeGreaterThan(direction === "UP" ? 4 : 5);
      expect(edges.every((e) => e.node.file?.id === e.node.id)).toBe(true);
      expect([five.n, hundred.n]).toEqual([1, 1]);
    }
    // the page's rows are the rows Prisma would give: the same types for every field
    const row = await t.prisma.projectFile.update({
      where: { id: rootId },
      data: { fileSizeBytes: 12_345_678_901n, metadata: { rows: 3, tags: ["a", "ü"], nested: { x: null } } },
    });
    const one = await t.ok<LineagePage>(lineage, { id: rootId, direction: "DOWN", first: 1 });
    expect(one.lineage?.edges[0]?.node.file).toEqual({
      id: row.id,
      uiName: row.uiName,
      mimeType: row.mimeType,
      metadata: row.metadata,
      createdAt: row.createdAt.toISOString(),
      fileSizeBytes: "12345678901",
    });

    const list = `query($root: UUID!, $first: Int) { files(filter: { rootId: $root }, first: $first) {
      edges { node { id ancestors { id file { id uiName } } descendants(first: 3) { edges { node { id file { uiName } } } } } } } }`;
    const few = await t.counted(list, { root: rootId, first: 5 });
    const many = await t.counted(list, { root: rootId, first: 50 });
    console.log(
      `statements: files page with ancestors and descendants, own fields = ${few.n} (first: 5), ${many.n} (first: 50)`,
    );
    // the page of files, one for every file's ancestors, one for every file's descendants
    expect([few.n, many.n]).toEqual([3, 3]);
  });

  it("ancestors of every file of a page: one walk and one read, whatever the page size", async () => {
    const q = `query($root: UUID!, $first: Int) { files(filter: { rootId: $root }, first: $first, orderBy: { field: DEPTH, direction: DESC }) {
      edges { node { id ancestors { id } } } } }`;
    const five = await t.counted(q, { root: rootId, first: 5 });
    const fifty = await t.counted(q, { root: rootId, first: 50 });
    console.log(`statements: files page with ancestors = ${five.n} (first: 5), ${fifty.n} (first: 50)`);
    const nodes = (fifty.data as { files: { edges: { node: { ancestors: unknown[] } }[] } }).files.edges;
    expect(nodes).toHaveLength(50);
    expect(nodes.every((e) => e.node.ancestors.length >= 3)).toBe(true);
    expect(fifty.n).toBe(five.n);

    const deep = `query($root: UUID!, $first: Int) { files(filter: { rootId: $root }, first: $first) {
      edges { node { id ancestors { id file { boundaryContract { id } } }
        descendants(first: 3) { totalCount edges { node { id file { boundaryContract { id } } } } } } } } }`;
    const d5 = await t.counted(deep, { root: rootId, first: 5 });
    const d50 = await t.counted(deep, { root: rootId, first: 50 });
    console.log(
      `statements: files page with ancestors { boundaryContract } and descendants { totalCount, boundaryContract } = ${d5.n} (first: 5), ${d50.n} (first: 50)`,
    );
    if (d50.n !== d5.n) console.log(d5.statements.join("\n---\n"), "\n=====\n", d50.statements.join("\n---\n"));
    expect(d50.n).toBe(d5.n);
  });
});
