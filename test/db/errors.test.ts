// The one boundary where database failures become domain errors: real constraint violations on
// the run's backend (the two adapters report them in different shapes) map to the same errors.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainErrorOf, transaction } from "../../src/db/errors.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../src/domain/errors.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { type MigratedDatabase, migratedDatabase } from "../helpers/db.ts";
import { buildContract, buildFile } from "../helpers/factories.ts";

describe("database errors → domain errors", () => {
  let m: MigratedDatabase;
  let prisma: PrismaClient;
  beforeAll(async () => {
    m = await migratedDatabase();
    prisma = m.db.prisma;
  });
  afterAll(() => m?.drop());

  const failure = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      return error;
    }
    throw new Error("expected a failure");
  };

  it("unique violations name what collided", async () => {
    const c = await buildContract(prisma, { isDefault: true });
    const name = await failure(() => buildContract(prisma, { projectId: c.projectId, name: c.name }));
    expect(domainErrorOf(name)).toEqual(expect.any(ConflictError));
    expect(domainErrorOf(name)).toMatchObject({ code: "CONTRACT_NAME_TAKEN" });
    const dflt = await failure(() => buildContract(prisma, { projectId: c.projectId, isDefault: true }));
    expect(domainErrorOf(dflt)).toMatchObject({ code: "DEFAULT_CONTRACT_EXISTS" });
    const f = await buildFile(prisma, { idempotencyKey: "k1" });
    const key = await failure(() => buildFile(prisma, { projectId: f.projectId, idempotencyKey: "k1" }));
    expect(domainErrorOf(key)).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED" });
    const pk = await failure(() => buildFile(prisma, { id: f.id }));
    expect(domainErrorOf(pk)).toMatchObject({ code: "ALREADY_EXISTS" });
  });

  it("a missing reference is NotFoundError; a CHECK is ValidationError on the guarded field", async () => {
    const fk = await failure(() => buildFile(prisma, { boundaryContractId: randomUUID() }));
    expect(domainErrorOf(fk)).toEqual(expect.any(NotFoundError));
    expect(domainErrorOf(fk)).toMatchObject({ entity: "BoundaryContract", id: null });
    const check = await failure(() => buildContract(prisma, { retentionDays: 0 }));
    expect(domainErrorOf(check)).toEqual(expect.any(ValidationError));
    expect((domainErrorOf(check) as ValidationError).issues[0]?.path).toEqual(["input", "retentionDays"]);
  });

  it("anything else is not an expected failure", async () => {
    const syntax = await failure(() => prisma.$queryRawUnsafe("SELEC 1"));
    expect(domainErrorOf(syntax)).toBeUndefined();
    expect(domainErrorOf(new Error("boom"))).toBeUndefined();
  });

  it("transaction() rolls back every write and throws the domain error", async () => {
    const c = await buildContract(prisma);
    const before = await prisma.dataBoundaryContract.count();
    const error = await failure(() =>
      transaction(prisma, async (tx) => {
        await tx.dataBoundaryContract.create({ data: { projectId: c.projectId, name: "first write" } });
        await tx.dataBoundaryContract.create({ data: { projectId: c.projectId, name: c.name } });
      }),
    );
    expect(error).toEqual(expect.any(ConflictError));
    expect(await prisma.dataBoundaryContract.count()).toBe(before);
  });
});
