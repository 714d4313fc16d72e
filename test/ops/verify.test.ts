// db:verify finds each kind of row that breaks a rule of SPEC.md, names it, and fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verify } from "../../src/db/verify.ts";
import { type MigratedDatabase, migratedDatabase } from "../helpers/db.ts";
import { buildContract, buildFile, buildLegacyFile } from "../helpers/factories.ts";

describe("db:verify", () => {
  let m: MigratedDatabase;
  beforeAll(async () => {
    m = await migratedDatabase();
  });
  afterAll(() => m?.drop());

  const failing = async () =>
    Object.fromEntries((await verify(m.db.prisma)).filter((c) => !c.ok).map((c) => [c.name, c.detail]));

  it("passes a database whose rows keep every rule", async () => {
    const contract = await buildContract(m.db.prisma, { maxDataClassification: "confidential" });
    const root = await buildFile(m.db.prisma, { projectId: contract.projectId, boundaryContractId: contract.id });
    await buildFile(m.db.prisma, { parent: root, boundaryContractId: contract.id });
    await buildLegacyFile(m.db.prisma, {
      projectId: contract.projectId,
      boundaryContractId: contract.id,
      rootFileId: null,
    });
    expect(await failing()).toEqual({});
  });

  // Rows that break a lineage rule predate migration 008's triggers (or were written with them off).
  it("reports each broken rule with the offending ids", async () => {
    const prisma = m.db.prisma;
    const contract = await buildContract(prisma, { maxDataClassification: "internal" });
    const root = await buildFile(prisma, { projectId: contract.projectId, boundaryContractId: contract.id });
    const other = await buildFile(prisma, { boundaryContractId: contract.id }); // another project
    const badDepth = await buildLegacyFile(prisma, { parent: root, boundaryContractId: contract.id, lineageDepth: 5 });
    const badRoot = await buildLegacyFile(prisma, {
      parent: root,
      boundaryContractId: contract.id,
      rootFileId: other.id,
    });
    const badProject = await buildLegacyFile(prisma, {
      parent: root,
      boundaryContractId: contract.id,
      projectId: other.projectId,
    });
    const rootAtDepth = await buildLegacyFile(prisma, { boundaryContractId: contract.id, lineageDepth: 2 });
    const tooSensitive = await buildFile(prisma, {
      projectId: contract.projectId,
      boundaryContractId: contract.id,
      dataClassification: "restricted",
    });
    const noContract = await buildFile(prisma);
    // a two-file cycle, as old code could write it
    const a = await buildFile(prisma, { boundaryContractId: contract.id, projectId: contract.projectId });
    const b = await buildFile(prisma, { parent: a, boundaryContractId: contract.id });
    await prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL session_replication_role = replica");
      await tx.projectFile.update({
        where: { id: a.id },
        data: { parentFileId: b.id, lineageDepth: 2, rootFileId: a.id },
      });
    });

    const failed = await failing();
    expect(failed["a derived file's depth is its parent's depth + 1"]).toContain(badDepth.id);
    expect(failed["a derived file's root is its parent's root"]).toContain(badRoot.id);
    expect(failed["a derived file is in its parent's project"]).toContain(badProject.id);
    expect(failed["a root (no parent) is its own root at depth 0; a NULL root is a legacy root"]).toContain(
      rootAtDepth.id,
    );
    expect(failed["no lineage cycles (every file reaches a root)"]).toMatch(/^2 rows break it/);
    expect(failed["no lineage cycles (every file reaches a root)"]).toContain(a.id);
    expect(failed["a file's classification is within its contract's ceiling"]).toContain(tooSensitive.id);
    expect(failed["a file's contract belongs to the file's project"]).toContain(other.id);
    expect(failed["every file has a boundary contract"]).toContain(noContract.id);
  });
});
