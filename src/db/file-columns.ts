// project_files' columns by Prisma field name, for the hand-written lineage statements, which read
// a file's row in the same statement as its place in the tree and hand Pothos the same object a
// Prisma query would (the `satisfies` fails to compile when a column is added to the model).
import type { Prisma } from "../generated/prisma/client.ts";

export const FILE_COLUMNS = {
  id: "file_uuid",
  projectId: "project_id",
  workspaceId: "workspace_id",
  uiName: "ui_name",
  filePath: "file_path",
  fileType: "file_type",
  mimeType: "mime_type",
  fileSizeBytes: "file_size_bytes",
  checksumSha256: "checksum_sha256",
  storageBackend: "storage_backend",
  metadata: "metadata",
  createdBy: "created_by",
  createdAt: "created_at",
  updatedAt: "updated_at",
  deletedAt: "deleted_at",
  processingStatus: "processing_status",
  processingErrors: "processing_errors",
  processingStartedAt: "processing_started_at",
  processingCompletedAt: "processing_completed_at",
  rootFileId: "root_file_uuid",
  parentFileId: "parent_file_uuid",
  lineageDepth: "lineage_depth",
  accessLevel: "access_level",
  permissions: "permissions",
  dataClassification: "data_classification",
  boundaryContractId: "boundary_contract_id",
  representationType: "representation_type",
  materializationScope: "materialization_scope",
  processingAttempts: "processing_attempts",
  idempotencyKey: "idempotency_key",
} as const satisfies Record<Prisma.ProjectFileScalarFieldEnum, string>;

export type FileField = keyof typeof FILE_COLUMNS;

export const FILE_FIELDS = Object.keys(FILE_COLUMNS) as FileField[];

export function isFileField(name: string): name is FileField {
  return Object.hasOwn(FILE_COLUMNS, name);
}
