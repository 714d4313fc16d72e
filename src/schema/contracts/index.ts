// BoundaryContract: the type, its lists of files and their counts, and the queries that read
// contracts. Writes are in ./mutations.ts, over src/services/contracts.ts.
import { visible } from "../../db/access.ts";
import { scopeWorkspaces } from "../../domain/contracts.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import { builder } from "../builder.ts";
import { ContractStatusEnum, DataClassificationEnum } from "../enums.ts";
import { FileConnection, visibleAfterCursor } from "../files/index.ts";
import { badInput, pageSizes } from "../pagination.ts";

/** The files a contract's `files` list and `fileCount` cover: live ones. */
const LIVE_FILES = { deletedAt: null } satisfies Prisma.ProjectFileWhereInput;
/** The files its `materializations` and `materializationCount` cover: live materializations. */
const LIVE_MATERIALIZATIONS = {
  deletedAt: null,
  NOT: { materializationScope: { equals: Prisma.DbNull } },
} satisfies Prisma.ProjectFileWhereInput;
const OLDEST_FIRST = [{ createdAt: "asc" }, { id: "asc" }] satisfies Prisma.ProjectFileOrderByWithRelationInput[];

export const BoundaryContract = builder.prismaObject("DataBoundaryContract", {
  name: "BoundaryContract",
  description:
    "A data boundary contract: which representation types may be materialized from a project's files, up to which classification, and into which workspaces.",
  fields: (t) => ({
    id: t.expose("id", { type: "UUID", description: "The contract's UUID (contract_id)." }),
    projectId: t.expose("projectId", { type: "UUID", description: "The project the contract governs." }),
    name: t.exposeString("name", { description: "A name, unique within the project." }),
    description: t.exposeString("description", { nullable: true, description: "What the contract is for." }),
    allowedRepresentationTypes: t.exposeStringList("allowedRepresentationTypes", {
      description: "Representation types that may be materialized under it; empty means any.",
    }),
    maxDataClassification: t.expose("maxDataClassification", {
      type: DataClassificationEnum,
      description: "The ceiling: nothing more sensitive may be materialized under it.",
    }),
    retentionDays: t.exposeInt("retentionDays", { nullable: true, description: "How long materializations are kept." }),
    scope: t.expose("scope", { type: "JSON", description: 'The contract\'s scope, e.g. {"workspace_ids": [...]}.' }),
    workspaceIds: t.field({
      type: ["UUID"],
      nullable: true,
      description:
        "The workspaces materializations under it may be made for (scope.workspace_ids); null means any workspace of the project.",
      select: { scope: true },
      resolve: (contract) => scopeWorkspaces(contract.scope) ?? null,
    }),
    isDefault: t.exposeBoolean("isDefault", {
      description: "True for the project's default contract (at most one, and never a retired one).",
    }),
    status: t.expose("status", { type: ContractStatusEnum, description: "Active or retired." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the contract was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the contract last changed." }),
    fileCount: t.relationCount("files", {
      where: (_args, ctx) => visible(ctx.identity, LIVE_FILES),
      description: "How many live files the caller may see are held under the contract (materializations included).",
    }),
    materializationCount: t.relationCount("files", {
      where: (_args, ctx) => visible(ctx.identity, LIVE_MATERIALIZATIONS),
      description: "How many of those files are materializations (registerMaterialization).",
    }),
  }),
});

// The lists of files, as the shared FileConnection (declared apart so that FileConnection exists).
builder.prismaObjectFields("DataBoundaryContract", (t) => ({
  files: t.relatedConnection(
    "files",
    {
      cursor: "id",
      ...pageSizes,
      totalCount: true,
      description:
        "The live files the caller may see that are held under the contract, materializations included, oldest first.",
      query: async (args, ctx) => ({ where: await visibleAfterCursor(ctx, args, LIVE_FILES), orderBy: OLDEST_FIRST }),
    },
    FileConnection,
  ),
  materializations: t.relatedConnection(
    "files",
    {
      cursor: "id",
      ...pageSizes,
      totalCount: true,
      description: "The live materializations the caller may see that are held under the contract, oldest first.",
      query: async (args, ctx) => ({
        where: await visibleAfterCursor(ctx, args, LIVE_MATERIALIZATIONS),
        orderBy: OLDEST_FIRST,
      }),
    },
    FileConnection,
  ),
}));

export const ContractConnection = builder.connectionObject(
  {
    type: BoundaryContract,
    name: "ContractConnection",
    description: "A page of boundary contracts.",
    fields: (t) => ({
      totalCount: t.int({
        description: "How many contracts the whole list holds, across all pages.",
        resolve: (connection) => {
          const { totalCount } = connection as { totalCount?: number | (() => number | Promise<number>) };
          return typeof totalCount === "function" ? totalCount() : (totalCount ?? 0);
        },
      }),
    }),
  },
  { name: "ContractEdge", description: "A contract in a page of contracts." },
);

const ContractFilter = builder.inputType("ContractFilter", {
  description: "Which contracts to list. Every condition given must hold.",
  fields: (t) => ({
    projectId: t.field({ type: "UUID", description: "Contracts of this project." }),
    status: t.field({ type: [ContractStatusEnum], description: "Contracts in any of these statuses." }),
    isDefault: t.boolean({ description: "Only default contracts (true), or only the others (false)." }),
    search: t.string({ description: "Contracts whose name contains this text, ignoring case (1 to 200 characters)." }),
  }),
});

type ContractFilterShape = typeof ContractFilter.$inferInput;

export function contractsWhere(filter: ContractFilterShape | null | undefined): Prisma.DataBoundaryContractWhereInput {
  const f = filter ?? {};
  if (f.search !== undefined && f.search !== null && (f.search.length === 0 || f.search.length > 200)) {
    throw badInput("filter.search must be 1 to 200 characters long", "filter.search");
  }
  const and: Prisma.DataBoundaryContractWhereInput[] = [];
  if (f.projectId) and.push({ projectId: f.projectId });
  if (f.status) and.push({ status: { in: f.status } });
  if (f.isDefault !== undefined && f.isDefault !== null) and.push({ isDefault: f.isDefault });
  if (f.search?.includes("\u0000")) throw badInput("filter.search cannot contain the NUL character", "filter.search");
  // Prisma passes the text into ILIKE as is: escape its wildcards so that they match literally.
  if (f.search) and.push({ name: { contains: f.search.replace(/[\\%_]/g, "\\$&"), mode: "insensitive" } });
  return { AND: and };
}

builder.queryFields((t) => ({
  contract: t.prismaField({
    type: "DataBoundaryContract",
    nullable: true,
    description: "One boundary contract by id (active or retired); null when there is none.",
    args: { id: t.arg({ type: "UUID", required: true, description: "The contract's UUID." }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.dataBoundaryContract.findUnique({ ...query, where: { id: args.id } }),
  }),
  contracts: t.prismaConnection(
    {
      type: "DataBoundaryContract",
      cursor: "id",
      ...pageSizes,
      description: "Boundary contracts, filtered, oldest first (ties broken by id, so pages are stable).",
      args: { filter: t.arg({ type: ContractFilter, description: "Which contracts to list." }) },
      totalCount: (_parent, args, ctx) => ctx.prisma.dataBoundaryContract.count({ where: contractsWhere(args.filter) }),
      resolve: (query, _root, args, ctx) =>
        ctx.prisma.dataBoundaryContract.findMany({
          ...query,
          where: contractsWhere(args.filter),
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        }),
    },
    ContractConnection,
  ),
}));
