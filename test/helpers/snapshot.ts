// "Nothing was written": every row of both tables, to compare before and after a refused request.
import type { PrismaClient } from "../../src/generated/prisma/client.ts";

export async function snapshot(prisma: PrismaClient): Promise<string> {
  const [files, contracts] = await Promise.all([
    prisma.projectFile.findMany({ orderBy: { id: "asc" } }),
    prisma.dataBoundaryContract.findMany({ orderBy: { id: "asc" } }),
  ]);
  return JSON.stringify({ files, contracts }, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}
