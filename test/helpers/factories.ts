// Factories: each builds the rows a test needs, with overrides, creating what they depend on
// (a derived file gets its parent's root, depth and project, as the service computes them).
import { randomUUID } from "node:crypto";
import type { DataBoundaryContract, Prisma, PrismaClient, ProjectFile } from "../../src/generated/prisma/client.ts";

let n = 0;

export function buildContract(
  prisma: PrismaClient,
  overrides: Partial<Prisma.DataBoundaryContractUncheckedCreateInput> = {},
): Promise<DataBoundaryContract> {
  n++;
  return prisma.dataBoundaryContract.create({
    data: { projectId: randomUUID(), name: `contract ${n}`, maxDataClassification: "restricted", ...overrides },
  });
}

export async function buildFile(
  prisma: PrismaClient,
  { parent, ...overrides }: Partial<Prisma.ProjectFileUncheckedCreateInput> & { parent?: ProjectFile } = {},
): Promise<ProjectFile> {
  n++;
  const id = overrides.id ?? randomUUID();
  return prisma.projectFile.create({
    data: {
      id,
      projectId: parent?.projectId ?? randomUUID(),
      uiName: `file ${n}.csv`,
      filePath: `/data/${n}.csv`,
      mimeType: "text/csv",
      fileSizeBytes: BigInt(1_000 * n),
      dataClassification: "internal",
      accessLevel: "internal",
      representationType: parent ? "parquet" : "original",
      parentFileId: parent?.id ?? null,
      rootFileId: parent ? (parent.rootFileId ?? parent.id) : id,
      lineageDepth: parent ? parent.lineageDepth + 1 : 0,
      ...overrides,
    },
  });
}

/**
 * A row as code from before the lineage triggers (migration 008) could write it, rule-breaking or
 * with a NULL root: inserted with the triggers (and foreign keys) bypassed for its transaction.
 */
export function buildLegacyFile(
  prisma: PrismaClient,
  options: Parameters<typeof buildFile>[1] = {},
): Promise<ProjectFile> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe("SET LOCAL session_replication_role = replica");
    return buildFile(tx as PrismaClient, options);
  });
}

/** A chain root → ... of the given length (depth 0 .. length-1). */
export async function buildChain(prisma: PrismaClient, length: number): Promise<ProjectFile[]> {
  const chain: ProjectFile[] = [await buildFile(prisma)];
  while (chain.length < length) chain.push(await buildFile(prisma, { parent: chain[chain.length - 1] }));
  return chain;
}
