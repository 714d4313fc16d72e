// Walking a lineage tree page by page: each page's pageInfo.endCursor is the next page's `after`,
// until hasNextPage is false. The server pages by (depth, id), so a walk sees each node once.
import type { Client } from "./client.ts";
import {
  type LineageDirection,
  LineagePageDocument,
  type LineagePageQuery,
  type LineagePageQueryVariables,
} from "./generated/graphql.ts";

export type LineageNode = NonNullable<LineagePageQuery["lineage"]>["edges"][number]["node"];

export interface WalkOptions {
  /** DOWN (default): the file and its descendants; UP: its ancestors; BOTH. */
  direction?: LineageDirection;
  /** At most this many levels from the file. */
  maxDepth?: number;
  /** Nodes per request (the server's default when not given; at most its PAGE_SIZE_MAX). */
  pageSize?: number;
}

export interface LineageWalk {
  /** Every node of the walk, the start file included, by depth then id. */
  nodes: LineageNode[];
  /** How many nodes the server said the walk holds. */
  totalCount: number;
  /** How many requests it took. */
  pages: number;
}

/**
 * The pages of a walk from `fileId`, fetched as they are consumed. Yields nothing when the file
 * does not exist or the caller may not see it (the API answers both the same way).
 */
export async function* lineagePages(
  client: Client,
  fileId: string,
  options: WalkOptions = {},
): AsyncGenerator<{ nodes: LineageNode[]; totalCount: number }> {
  const variables: LineagePageQueryVariables = {
    fileId,
    direction: options.direction ?? null,
    maxDepth: options.maxDepth ?? null,
    first: options.pageSize ?? null,
    after: null,
  };
  for (let page = 0; ; page++) {
    const { lineage } = await client(LineagePageDocument, variables);
    if (!lineage) {
      if (page === 0) return;
      throw new Error(`lineage of ${fileId}: the file was deleted (or hidden) during the walk`);
    }
    yield { nodes: lineage.edges.map((edge) => edge.node), totalCount: lineage.totalCount };
    const { hasNextPage, endCursor } = lineage.pageInfo;
    if (!hasNextPage) return;
    if (!endCursor) throw new Error(`lineage of ${fileId}: a page says more follow but gives no cursor`);
    variables.after = endCursor;
  }
}

/** The whole walk from `fileId`, or null when the file does not exist or the caller may not see it. */
export async function walkLineage(
  client: Client,
  fileId: string,
  options: WalkOptions = {},
): Promise<LineageWalk | null> {
  const walk: LineageWalk = { nodes: [], totalCount: 0, pages: 0 };
  for await (const page of lineagePages(client, fileId, options)) {
    walk.nodes.push(...page.nodes);
    walk.totalCount = page.totalCount;
    walk.pages++;
  }
  return walk.pages === 0 ? null : walk;
}
