// Listing files a page at a time.
import type { Client } from "./client.ts";
import { ListFilesDocument, type ListFilesQuery, type ListFilesQueryVariables } from "./generated/graphql.ts";

export type FileSummary = ListFilesQuery["files"]["edges"][number]["node"];

export interface FilePage {
  files: FileSummary[];
  /** How many files match, across all pages. */
  totalCount: number;
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

/** One page of the files matching `filter` (all the caller may see when there is none). */
export async function listFiles(client: Client, variables: ListFilesQueryVariables = {}): Promise<FilePage> {
  const { files } = await client(ListFilesDocument, variables);
  return {
    files: files.edges.map((edge) => edge.node),
    totalCount: files.totalCount,
    next: files.pageInfo.hasNextPage ? (files.pageInfo.endCursor ?? null) : null,
  };
}
