// Loads the demo data set (./data.ts) into an empty database through the services, as the people
// and workers it names: contracts first, then each lineage tree parents first, then the processing
// histories, then the retirement of the contract that was switched off. Every row goes through the
// same validation, access rules, contract checks and lineage triggers as a client's request.
import type { Identity } from "../domain/identity.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Progress, Step } from "../progress.ts";
import { createContract, retireContract } from "../services/contracts.ts";
import { registerFile } from "../services/files.ts";
import { registerMaterialization } from "../services/materializations.ts";
import { updateProcessingStatus } from "../services/processing.ts";
import {
  DEMO_ACTORS,
  DEMO_DATA,
  DEMO_PROJECTS,
  DEMO_WORKSPACES,
  type DemoDataSet,
  type DemoFile,
  type DemoProject,
  walk,
} from "./data.ts";

/** The database already holds data: the demo data set is only ever loaded into an empty one. */
export class DemoRefusedError extends Error {
  override name = "DemoRefusedError";
}

/** What the database holds, deleted files and retired contracts included. */
export async function databaseContents(prisma: PrismaClient): Promise<{ files: number; contracts: number }> {
  const [files, contracts] = await Promise.all([prisma.projectFile.count(), prisma.dataBoundaryContract.count()]);
  return { files, contracts };
}

/** Whether the database holds no file and no contract: the only state the demo data is loaded into. */
export async function isEmptyDatabase(prisma: PrismaClient): Promise<boolean> {
  const { files, contracts } = await databaseContents(prisma);
  return files === 0 && contracts === 0;
}

export interface DemoSummary {
  projects: number;
  workspaces: number;
  contracts: number;
  retiredContracts: number;
  files: number;
  /** Lineage trees: one per root file. */
  trees: number;
  /** Files derived with registerFile (a conversion, a segmentation). */
  derived: number;
  /** Files made with registerMaterialization, under a contract. */
  materializations: number;
  /** The deepest lineage_depth. */
  maxDepth: number;
  /** Processing status changes, and how many of them were failures. */
  statusChanges: number;
  processingErrors: number;
}

/** What a data set holds, computed from it (README.md quotes these numbers for DEMO_DATA). */
export function summarize(data: DemoDataSet = DEMO_DATA): DemoSummary {
  const files = [...walk(data.trees)];
  const projects = new Set([...data.contracts.map((c) => c.project), ...data.trees.map((t) => t.project)]);
  const workspaces = new Set([
    ...data.contracts.flatMap((c) => c.workspaces ?? []),
    ...data.trees.map((t) => t.workspace).filter(Boolean),
  ]);
  const moves = files.flatMap(({ file }) => file.processing ?? []);
  return {
    projects: projects.size,
    workspaces: workspaces.size,
    contracts: data.contracts.length,
    retiredContracts: data.contracts.filter((c) => c.retire).length,
    files: files.length,
    trees: data.trees.length,
    derived: files.filter(({ file, depth }) => depth > 0 && !file.materialize).length,
    materializations: files.filter(({ file }) => file.materialize).length,
    maxDepth: Math.max(0, ...files.map(({ depth }) => depth)),
    statusChanges: moves.length,
    processingErrors: moves.filter((m) => typeof m === "object").length,
  };
}

/** Each project's processing pipeline: it derives the files and reports their processing. */
const PIPELINES: Record<DemoProject, Identity> = {
  harbor: DEMO_ACTORS.imagingPipeline,
  ledger: DEMO_ACTORS.ledgerEtl,
  survey: DEMO_ACTORS.surveyMedia,
};

const contractKey = (project: DemoProject, name: string) => `${project}/${name}`;

export interface SeedOptions {
  /** Where the steps are reported (none: silent). */
  progress?: Progress;
  /** Another data set (tests); the demo data set by default. */
  data?: DemoDataSet;
}

/**
 * Loads the data set into an empty database and says what it loaded. A database that holds any
 * file or contract is refused (DemoRefusedError) before anything is written. Should a write fail
 * midway, what was written is removed again (it all belongs to the demo's projects, and there was
 * nothing before), so a failed load leaves the database empty, as it was.
 */
export async function seedDemo(prisma: PrismaClient, options: SeedOptions = {}): Promise<DemoSummary> {
  const data = options.data ?? DEMO_DATA;
  const { files, contracts } = await databaseContents(prisma);
  if (files > 0 || contracts > 0) {
    throw new DemoRefusedError(
      `the database already holds ${files} file(s) and ${contracts} contract(s); demo data is only loaded into an empty database, and nothing was written`,
    );
  }
  try {
    await load(prisma, data, options.progress);
  } catch (error) {
    await removeDemo(prisma, data);
    throw error;
  }
  return summarize(data);
}

/** Runs `work` as a progress step when there is a reporter. */
async function stepped(
  progress: Progress | undefined,
  label: string,
  total: number,
  unit: string,
  work: (step: Pick<Step, "add">) => Promise<void>,
): Promise<void> {
  if (!progress) return work({ add: () => {} });
  return progress.run(label, work, { total, unit });
}

async function load(prisma: PrismaClient, data: DemoDataSet, progress: Progress | undefined): Promise<void> {
  const contractIds = new Map<string, string>();
  await stepped(progress, "creating boundary contracts", data.contracts.length, "contracts", async (step) => {
    for (const c of data.contracts) {
      const created = await createContract(prisma, DEMO_ACTORS[c.by], {
        projectId: DEMO_PROJECTS[c.project].id,
        name: c.name,
        description: c.description,
        allowedRepresentationTypes: c.types,
        maxDataClassification: c.ceiling,
        retentionDays: c.retentionDays ?? null,
        workspaceIds: c.workspaces?.map((w) => DEMO_WORKSPACES[w].id) ?? null,
        isDefault: c.isDefault ?? false,
      });
      contractIds.set(contractKey(c.project, c.name), created.id);
      step.add();
    }
  });

  const contractId = (project: DemoProject, name: string | undefined): string | null => {
    if (name === undefined) return null;
    const id = contractIds.get(contractKey(project, name));
    if (!id) throw new Error(`demo data: file refers to contract "${name}", which project ${project} does not have`);
    return id;
  };

  // Each file with the project of its tree and its id, in the order registered (parents first).
  const registered: { file: DemoFile; project: DemoProject; id: string }[] = [];
  const total = [...walk(data.trees)].length;
  await stepped(progress, "registering files", total, "files", async (step) => {
    const register = async (file: DemoFile, project: DemoProject, parentId: string | null) => {
      const actor = DEMO_ACTORS[file.by];
      const content = {
        uiName: file.name,
        filePath: file.path,
        fileType: file.fileType,
        mimeType: file.mimeType,
        fileSizeBytes: file.sizeBytes === undefined ? null : BigInt(file.sizeBytes),
        storageBackend: file.path.split(":")[0] ?? null,
        metadata: file.metadata ?? {},
      };
      let id: string;
      if (!parentId) {
        id = (
          await registerFile(prisma, actor, {
            ...content,
            projectId: DEMO_PROJECTS[project].id,
            workspaceId: file.workspace ? DEMO_WORKSPACES[file.workspace].id : null,
            accessLevel: file.accessLevel ?? null,
            dataClassification: file.classification ?? null,
            permissions: file.permissions ?? null,
          })
        ).id;
      } else if (file.materialize) {
        id = (
          await registerMaterialization(prisma, actor, {
            ...content,
            sourceFileId: parentId,
            representationType: file.representation ?? "",
            contractId: contractId(project, file.materialize.contract),
            sessionId: file.materialize.session,
            scope: file.materialize.scope ?? null,
            // what a worker sends, so that its retry would not register the file twice
            idempotencyKey: `${file.materialize.session}/${file.name}`,
          })
        ).id;
      } else {
        id = (await registerFile(prisma, actor, { ...content, parentId, representationType: file.representation })).id;
      }
      registered.push({ file, project, id });
      step.add();
      for (const child of file.children ?? []) await register(child, project, id);
    };
    for (const root of data.trees) {
      if (!root.project) throw new Error(`demo data: root file ${root.name} names no project`);
      await register(root, root.project, null);
    }
  });

  const moves = registered.reduce((n, r) => n + (r.file.processing?.length ?? 0), 0);
  await stepped(progress, "recording processing histories", moves, "status changes", async (step) => {
    for (const { file, project, id } of registered) {
      for (const move of file.processing ?? []) {
        await updateProcessingStatus(
          prisma,
          PIPELINES[project],
          typeof move === "string"
            ? { fileId: id, status: move }
            : { fileId: id, status: "failed", error: move.failed },
        );
        step.add();
      }
    }
  });

  const retiring = data.contracts.filter((c) => c.retire);
  await stepped(progress, "retiring contracts", retiring.length, "contracts", async (step) => {
    for (const c of retiring) {
      await retireContract(prisma, DEMO_ACTORS[c.by], contractId(c.project, c.name) as string, null);
      step.add();
    }
  });
}

/** Removes every file and contract of the data set's projects (after a failed load only). */
async function removeDemo(prisma: PrismaClient, data: DemoDataSet): Promise<void> {
  const projects = [
    ...new Set([...data.contracts.map((c) => c.project), ...data.trees.flatMap((t) => (t.project ? [t.project] : []))]),
  ].map((p) => DEMO_PROJECTS[p].id);
  // One statement: the files' references to their parents are checked at its end, when all are gone.
  await prisma.projectFile.deleteMany({ where: { projectId: { in: projects } } });
  await prisma.dataBoundaryContract.deleteMany({ where: { projectId: { in: projects } } });
}
