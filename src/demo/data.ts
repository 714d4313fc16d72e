// The demo data set (npm run db:seed-demo, or DEMO_DATA at npm start): three projects of made-up
// organisations, their workspaces, boundary contracts, lineage trees and processing histories.
// Everything is fixed — project and workspace ids, names, paths, the order of events — so that
// README.md can refer to it; only the ids the service gives files and contracts, and the times,
// differ between two loads. It is written through the services (./seed.ts), as the people and
// workers named here, so every row obeys the same rules as any client's.
import type { Identity } from "../domain/identity.ts";

export const DEMO_PROJECTS = {
  harbor: { id: "de000000-0000-4000-a000-000000000001", name: "Harbor Imaging" },
  ledger: { id: "de000000-0000-4000-a000-000000000002", name: "Ledger Analytics" },
  survey: { id: "de000000-0000-4000-a000-000000000003", name: "Field Survey" },
} as const;
export type DemoProject = keyof typeof DEMO_PROJECTS;

export const DEMO_WORKSPACES = {
  radiology: { id: "de000000-0000-4000-b000-000000000011", name: "Radiology", project: "harbor" },
  research: { id: "de000000-0000-4000-b000-000000000012", name: "Research", project: "harbor" },
  finance: { id: "de000000-0000-4000-b000-000000000021", name: "Finance", project: "ledger" },
  marketing: { id: "de000000-0000-4000-b000-000000000022", name: "Marketing", project: "ledger" },
  fieldTeam: { id: "de000000-0000-4000-b000-000000000031", name: "Field team", project: "survey" },
} as const satisfies Record<string, { id: string; name: string; project: DemoProject }>;
export type DemoWorkspace = keyof typeof DEMO_WORKSPACES;

const workspacesOf = (project: DemoProject) =>
  Object.values(DEMO_WORKSPACES)
    .filter((w) => w.project === project)
    .map((w) => w.id);

function person(subject: string, project: DemoProject, clearance: Identity["clearance"]): Identity {
  return {
    kind: "token",
    subject,
    groups: [],
    workspaces: workspacesOf(project),
    clearance,
    roles: [`contract-admin:${DEMO_PROJECTS[project].id}`],
  };
}

function worker(subject: string, group: string, project: DemoProject): Identity {
  return {
    kind: "token",
    subject,
    groups: [group],
    workspaces: workspacesOf(project),
    clearance: "restricted",
    roles: [],
  };
}

/**
 * Who registers what: each project's owner (manages its contracts, registers the originals) and
 * its processing pipeline (derives files, reports processing; allowed by the group its files name
 * in `permissions`). Not admins: the demo goes through the same access rules as a real caller.
 */
export const DEMO_ACTORS = {
  ana: person("ana.souza@harbor.example", "harbor", "restricted"),
  imagingPipeline: worker("imaging-pipeline", "imaging-pipeline", "harbor"),
  li: person("li.chen@ledger.example", "ledger", "confidential"),
  ledgerEtl: worker("ledger-etl", "ledger-etl", "ledger"),
  sam: person("sam.okafor@survey.example", "survey", "internal"),
  surveyMedia: worker("survey-media", "survey-media", "survey"),
} as const satisfies Record<string, Identity>;
export type DemoActor = keyof typeof DEMO_ACTORS;

export interface DemoContract {
  project: DemoProject;
  name: string;
  description: string;
  /** Empty: any representation type. */
  types: string[];
  ceiling: "public" | "internal" | "confidential" | "restricted";
  retentionDays?: number;
  /** Left out: any workspace of the project. */
  workspaces?: DemoWorkspace[];
  isDefault?: boolean;
  /** Retired once the files it governs are in: it keeps them, and accepts nothing new. */
  retire?: boolean;
  by: DemoActor;
}

/** A move of the processing state machine; a failure carries the error the worker reported. */
export type DemoMove = "processing" | "completed" | "skipped" | { failed: { code: string; message: string } };

/** A root file, a file derived from its parent (registerFile), or a materialization of it. */
export interface DemoFile {
  name: string;
  path: string;
  fileType: string;
  mimeType: string;
  sizeBytes?: number;
  by: DemoActor;
  /** Root files only (derived ones inherit them). */
  project?: DemoProject;
  workspace?: DemoWorkspace;
  accessLevel?: "public" | "internal" | "workspace" | "private";
  classification?: "public" | "internal" | "confidential" | "restricted";
  permissions?: { read?: string[]; write?: string[] };
  /** Derived files: the representation; with `contract` or `session` it is a materialization. */
  representation?: string;
  /** registerMaterialization (a contract's name; left out: the source's contract). */
  materialize?: { contract?: string; session: string; scope?: Record<string, unknown> };
  metadata?: Record<string, unknown>;
  /** The processing history, in order, each move by the file's project pipeline. Empty: pending. */
  processing?: DemoMove[];
  children?: DemoFile[];
}

const MB = 1024 * 1024;
const DONE: DemoMove[] = ["processing", "completed"];
const fail = (code: string, message: string): DemoMove => ({ failed: { code, message } });

export const DEMO_CONTRACTS: DemoContract[] = [
  {
    project: "harbor",
    name: "Clinical imaging",
    description: "Default contract of Harbor Imaging: scans and everything derived from them stay in its workspaces.",
    types: [],
    ceiling: "restricted",
    retentionDays: 3650,
    workspaces: ["radiology", "research"],
    isDefault: true,
    by: "ana",
  },
  {
    project: "harbor",
    name: "Research derivatives",
    description: "De-identified derivatives the Research workspace may produce from internal data.",
    types: ["parquet", "preview", "thumbnail"],
    ceiling: "internal",
    retentionDays: 365,
    workspaces: ["research"],
    by: "ana",
  },
  {
    project: "harbor",
    name: "PACS export (2019)",
    description: "Exports to the old picture archive; retired when the archive was switched off.",
    types: ["dicom-zip"],
    ceiling: "confidential",
    workspaces: ["radiology"],
    retire: true,
    by: "ana",
  },
  {
    project: "ledger",
    name: "Ledger default",
    description: "Default contract of Ledger Analytics.",
    types: [],
    ceiling: "confidential",
    retentionDays: 2555,
    isDefault: true,
    by: "li",
  },
  {
    project: "ledger",
    name: "Finance extracts",
    description: "Tabular extracts of the ledgers, for the Finance workspace only.",
    types: ["csv", "parquet"],
    ceiling: "confidential",
    retentionDays: 2555,
    workspaces: ["finance"],
    by: "li",
  },
  {
    project: "ledger",
    name: "Partner sharing",
    description: "What Marketing may hand to partners: public data, as CSV or PDF, kept 90 days.",
    types: ["csv", "pdf"],
    ceiling: "public",
    retentionDays: 90,
    workspaces: ["marketing"],
    by: "li",
  },
  {
    project: "survey",
    name: "Survey default",
    description: "Default contract of Field Survey: internal at most, any workspace.",
    types: [],
    ceiling: "internal",
    isDefault: true,
    by: "sam",
  },
];

const harborAccess = { read: ["group:imaging-pipeline"], write: ["group:imaging-pipeline"] };
const ledgerAccess = { read: ["group:ledger-etl", "group:finance-analysts"], write: ["group:ledger-etl"] };
const surveyAccess = { read: [], write: ["group:survey-media"] };

export const DEMO_TREES: DemoFile[] = [
  {
    name: "ct-chest-0001.dcm",
    path: "s3://harbor-imaging/radiology/ct/0001/ct-chest-0001.dcm",
    fileType: "scan",
    mimeType: "application/dicom",
    sizeBytes: 512 * MB,
    by: "ana",
    project: "harbor",
    workspace: "radiology",
    accessLevel: "workspace",
    classification: "confidential",
    permissions: harborAccess,
    metadata: { project: "Harbor Imaging", workspace: "Radiology", modality: "CT", bodyPart: "chest", slices: 412 },
    processing: DONE,
    children: [
      {
        name: "ct-chest-0001.nii.gz",
        path: "s3://harbor-imaging/radiology/ct/0001/ct-chest-0001.nii.gz",
        fileType: "volume",
        mimeType: "application/gzip",
        sizeBytes: 180 * MB,
        by: "imagingPipeline",
        representation: "nifti",
        metadata: { converter: "dcm2niix 1.0.20240202" },
        processing: DONE,
        children: [
          {
            name: "ct-chest-0001.lung-mask.nii.gz",
            path: "s3://harbor-imaging/radiology/ct/0001/ct-chest-0001.lung-mask.nii.gz",
            fileType: "segmentation",
            mimeType: "application/gzip",
            sizeBytes: 6 * MB,
            by: "imagingPipeline",
            representation: "nifti",
            metadata: { model: "lung-seg v2.4.1" },
            // failed, retried, and then completed
            processing: [
              "processing",
              fail("SEGMENTATION_DIVERGED", "Model did not converge after 200 iterations (lung-seg v2.4.0)."),
              "processing",
              "completed",
            ],
            children: [
              {
                name: "ct-chest-0001.lung-mask.parquet",
                path: "s3://harbor-imaging/radiology/ct/0001/ct-chest-0001.lung-mask.parquet",
                fileType: "dataset",
                mimeType: "application/vnd.apache.parquet",
                sizeBytes: 2 * MB,
                by: "imagingPipeline",
                representation: "parquet",
                materialize: { session: "seg-2024-03-14", scope: { pipeline: "lung-seg", pipeline_version: "2.4.1" } },
                processing: DONE,
              },
              {
                name: "ct-chest-0001.lung-mask.preview.png",
                path: "s3://harbor-imaging/radiology/ct/0001/ct-chest-0001.lung-mask.preview.png",
                fileType: "image",
                mimeType: "image/png",
                sizeBytes: 340_000,
                by: "imagingPipeline",
                representation: "preview",
                materialize: { session: "seg-2024-03-14" },
                processing: DONE,
              },
            ],
          },
          {
            name: "ct-chest-0001.thumbnail.png",
            path: "s3://harbor-imaging/radiology/ct/0001/ct-chest-0001.thumbnail.png",
            fileType: "image",
            mimeType: "image/png",
            sizeBytes: 24_000,
            by: "imagingPipeline",
            representation: "thumbnail",
            materialize: { session: "thumbs-2024-03-14" },
            processing: DONE,
          },
        ],
      },
      {
        name: "ct-chest-0001.export.zip",
        path: "s3://harbor-imaging/exports/pacs/ct-chest-0001.export.zip",
        fileType: "archive",
        mimeType: "application/zip",
        sizeBytes: 498 * MB,
        by: "imagingPipeline",
        representation: "dicom-zip",
        materialize: { contract: "PACS export (2019)", session: "pacs-export-118" },
        processing: DONE,
      },
    ],
  },
  {
    name: "mri-brain-0042.dcm",
    path: "s3://harbor-imaging/radiology/mri/0042/mri-brain-0042.dcm",
    fileType: "scan",
    mimeType: "application/dicom",
    sizeBytes: 890 * MB,
    by: "ana",
    project: "harbor",
    workspace: "radiology",
    accessLevel: "private",
    classification: "restricted",
    permissions: harborAccess,
    metadata: { project: "Harbor Imaging", workspace: "Radiology", modality: "MRI", bodyPart: "brain", sequences: 6 },
    processing: DONE,
    children: [
      {
        name: "mri-brain-0042.nii.gz",
        path: "s3://harbor-imaging/radiology/mri/0042/mri-brain-0042.nii.gz",
        fileType: "volume",
        mimeType: "application/gzip",
        by: "imagingPipeline",
        representation: "nifti",
        // failed twice, so no output and no size yet; waiting for someone to look at it
        processing: [
          "processing",
          fail("TIMEOUT", "Conversion did not finish within 15 minutes."),
          "processing",
          fail("DICOM_DECODE_ERROR", "Series 4 has an unsupported transfer syntax (1.2.840.10008.1.2.4.100)."),
        ],
      },
      {
        name: "mri-brain-0042.thumbnail.png",
        path: "s3://harbor-imaging/radiology/mri/0042/mri-brain-0042.thumbnail.png",
        fileType: "image",
        mimeType: "image/png",
        sizeBytes: 31_000,
        by: "imagingPipeline",
        representation: "thumbnail",
        materialize: { session: "thumbs-2024-03-15" },
        processing: DONE,
      },
    ],
  },
  {
    name: "cohort-2024-q1.csv",
    path: "s3://harbor-imaging/research/cohorts/cohort-2024-q1.csv",
    fileType: "dataset",
    mimeType: "text/csv",
    sizeBytes: 14 * MB,
    by: "ana",
    project: "harbor",
    workspace: "research",
    accessLevel: "workspace",
    classification: "internal",
    permissions: harborAccess,
    metadata: { project: "Harbor Imaging", workspace: "Research", rows: 48_210, deidentified: true },
    processing: DONE,
    children: [
      {
        name: "cohort-2024-q1.parquet",
        path: "s3://harbor-imaging/research/cohorts/cohort-2024-q1.parquet",
        fileType: "dataset",
        mimeType: "application/vnd.apache.parquet",
        sizeBytes: 3 * MB,
        by: "imagingPipeline",
        representation: "parquet",
        materialize: { contract: "Research derivatives", session: "cohort-build-9" },
        processing: DONE,
        children: [
          {
            name: "cohort-2024-q1.summary.json",
            path: "s3://harbor-imaging/research/cohorts/cohort-2024-q1.summary.json",
            fileType: "report",
            mimeType: "application/json",
            sizeBytes: 12_000,
            by: "imagingPipeline",
            representation: "summary",
            materialize: { contract: "Clinical imaging", session: "cohort-build-9" },
            processing: DONE,
          },
        ],
      },
      {
        name: "cohort-2024-q1.preview.png",
        path: "s3://harbor-imaging/research/cohorts/cohort-2024-q1.preview.png",
        fileType: "image",
        mimeType: "image/png",
        sizeBytes: 90_000,
        by: "imagingPipeline",
        representation: "preview",
        materialize: { contract: "Research derivatives", session: "cohort-build-9" },
        // registered, not processed yet
        processing: [],
      },
    ],
  },
  {
    name: "general-ledger-2024-03.xlsx",
    path: "s3://ledger-analytics/finance/ledgers/general-ledger-2024-03.xlsx",
    fileType: "spreadsheet",
    mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    sizeBytes: 22 * MB,
    by: "li",
    project: "ledger",
    workspace: "finance",
    accessLevel: "private",
    classification: "confidential",
    permissions: ledgerAccess,
    metadata: { project: "Ledger Analytics", workspace: "Finance", period: "2024-03", entities: 4 },
    processing: DONE,
    children: [
      {
        name: "general-ledger-2024-03.csv",
        path: "s3://ledger-analytics/finance/extracts/general-ledger-2024-03.csv",
        fileType: "dataset",
        mimeType: "text/csv",
        sizeBytes: 41 * MB,
        by: "ledgerEtl",
        representation: "csv",
        materialize: { contract: "Finance extracts", session: "etl-2024-04-01" },
        processing: [
          "processing",
          fail("SCHEMA_MISMATCH", 'Column "cost_center" is missing in sheet "Entity 3".'),
          "processing",
          "completed",
        ],
        children: [
          {
            name: "general-ledger-2024-03.parquet",
            path: "s3://ledger-analytics/finance/extracts/general-ledger-2024-03.parquet",
            fileType: "dataset",
            mimeType: "application/vnd.apache.parquet",
            sizeBytes: 9 * MB,
            by: "ledgerEtl",
            representation: "parquet",
            materialize: { session: "etl-2024-04-01" },
            processing: DONE,
            children: [
              {
                name: "general-ledger-2024-03.by-cost-center.parquet",
                path: "s3://ledger-analytics/finance/extracts/general-ledger-2024-03.by-cost-center.parquet",
                fileType: "dataset",
                mimeType: "application/vnd.apache.parquet",
                sizeBytes: 600_000,
                by: "ledgerEtl",
                representation: "parquet",
                metadata: { groupedBy: "cost_center" },
                processing: DONE,
                children: [
                  {
                    name: "general-ledger-2024-03.by-cost-center.embedding",
                    path: "s3://ledger-analytics/finance/embeddings/general-ledger-2024-03.by-cost-center.embedding",
                    fileType: "embedding",
                    mimeType: "application/octet-stream",
                    sizeBytes: 1_500_000,
                    by: "ledgerEtl",
                    representation: "embedding",
                    materialize: { contract: "Ledger default", session: "embed-2024-04-02" },
                    processing: DONE,
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    name: "campaign-results-q1.pdf",
    path: "s3://ledger-analytics/marketing/reports/campaign-results-q1.pdf",
    fileType: "document",
    mimeType: "application/pdf",
    sizeBytes: 3 * MB,
    by: "li",
    project: "ledger",
    workspace: "marketing",
    accessLevel: "public",
    classification: "public",
    permissions: { write: ["group:ledger-etl"] },
    metadata: { project: "Ledger Analytics", workspace: "Marketing", quarter: "2024-Q1" },
    processing: DONE,
    children: [
      {
        name: "campaign-results-q1.partner.csv",
        path: "s3://ledger-analytics/marketing/partner/campaign-results-q1.partner.csv",
        fileType: "dataset",
        mimeType: "text/csv",
        sizeBytes: 80_000,
        by: "ledgerEtl",
        representation: "csv",
        materialize: {
          contract: "Partner sharing",
          session: "partner-export-7",
          scope: { partner: "Blue Finch Media" },
        },
        processing: DONE,
      },
      {
        name: "campaign-results-q1.preview.png",
        path: "s3://ledger-analytics/marketing/reports/campaign-results-q1.preview.png",
        fileType: "image",
        mimeType: "image/png",
        sizeBytes: 150_000,
        by: "ledgerEtl",
        representation: "preview",
        materialize: { session: "previews-2024-04" },
        processing: DONE,
      },
      {
        name: "campaign-results-q1.thumbnail.png",
        path: "s3://ledger-analytics/marketing/reports/campaign-results-q1.thumbnail.png",
        fileType: "image",
        mimeType: "image/png",
        sizeBytes: 18_000,
        by: "ledgerEtl",
        representation: "thumbnail",
        materialize: { session: "previews-2024-04" },
        // nothing to do for a thumbnail
        processing: ["skipped"],
      },
    ],
  },
  {
    name: "web-traffic-2024-03.json",
    path: "s3://ledger-analytics/marketing/traffic/web-traffic-2024-03.json",
    fileType: "dataset",
    mimeType: "application/json",
    sizeBytes: 57 * MB,
    by: "li",
    project: "ledger",
    workspace: "marketing",
    accessLevel: "internal",
    classification: "internal",
    permissions: { write: ["group:ledger-etl"] },
    metadata: { project: "Ledger Analytics", workspace: "Marketing", source: "web analytics export" },
    // being processed right now
    processing: ["processing"],
  },
  {
    name: "site-07-drone-flight.mp4",
    path: "s3://field-survey/site-07/flights/site-07-drone-flight.mp4",
    fileType: "video",
    mimeType: "video/mp4",
    sizeBytes: 2300 * MB,
    by: "sam",
    project: "survey",
    workspace: "fieldTeam",
    accessLevel: "internal",
    classification: "internal",
    permissions: surveyAccess,
    metadata: { project: "Field Survey", workspace: "Field team", site: "07", altitudeMeters: 120, minutes: 18 },
    processing: DONE,
    children: [
      {
        name: "site-07-frames.tar",
        path: "s3://field-survey/site-07/frames/site-07-frames.tar",
        fileType: "archive",
        mimeType: "application/x-tar",
        sizeBytes: 4100 * MB,
        by: "surveyMedia",
        representation: "frames",
        metadata: { frames: 2160, everySeconds: 0.5 },
        processing: DONE,
        children: [
          {
            name: "site-07-orthomosaic.tif",
            path: "s3://field-survey/site-07/maps/site-07-orthomosaic.tif",
            fileType: "raster",
            mimeType: "image/tiff",
            sizeBytes: 960 * MB,
            by: "surveyMedia",
            representation: "orthomosaic",
            metadata: { groundResolutionCm: 3.1 },
            // ran out of memory twice, completed on the third attempt
            processing: [
              "processing",
              fail("OUT_OF_MEMORY", "Worker exceeded 16 GiB while stitching 2160 frames."),
              "processing",
              fail("OUT_OF_MEMORY", "Worker exceeded 32 GiB while stitching 2160 frames."),
              "processing",
              "completed",
            ],
            children: [
              {
                name: "site-07-elevation-model.tif",
                path: "s3://field-survey/site-07/maps/site-07-elevation-model.tif",
                fileType: "raster",
                mimeType: "image/tiff",
                sizeBytes: 310 * MB,
                by: "surveyMedia",
                representation: "elevation-model",
                processing: DONE,
                children: [
                  {
                    name: "site-07-elevation-model.preview.png",
                    path: "s3://field-survey/site-07/maps/site-07-elevation-model.preview.png",
                    fileType: "image",
                    mimeType: "image/png",
                    sizeBytes: 700_000,
                    by: "surveyMedia",
                    representation: "preview",
                    materialize: { session: "maps-2024-05-02" },
                    processing: DONE,
                  },
                ],
              },
              {
                name: "site-07-orthomosaic.thumbnail.png",
                path: "s3://field-survey/site-07/maps/site-07-orthomosaic.thumbnail.png",
                fileType: "image",
                mimeType: "image/png",
                sizeBytes: 40_000,
                by: "surveyMedia",
                representation: "thumbnail",
                materialize: { session: "maps-2024-05-02" },
                processing: DONE,
              },
            ],
          },
        ],
      },
      {
        name: "site-07-drone-flight.preview.mp4",
        path: "s3://field-survey/site-07/flights/site-07-drone-flight.preview.mp4",
        fileType: "video",
        mimeType: "video/mp4",
        sizeBytes: 95 * MB,
        by: "surveyMedia",
        representation: "preview",
        materialize: { session: "previews-2024-05-01" },
        processing: DONE,
      },
    ],
  },
  {
    name: "site-07-field-notes.pdf",
    path: "s3://field-survey/site-07/notes/site-07-field-notes.pdf",
    fileType: "document",
    mimeType: "application/pdf",
    sizeBytes: 2 * MB,
    by: "sam",
    project: "survey",
    accessLevel: "public",
    classification: "public",
    permissions: surveyAccess,
    metadata: { project: "Field Survey", author: "Sam Okafor", pages: 14 },
    processing: ["skipped"],
  },
  {
    name: "site-08-drone-flight.mp4",
    path: "s3://field-survey/site-08/flights/site-08-drone-flight.mp4",
    fileType: "video",
    mimeType: "video/mp4",
    sizeBytes: 2100 * MB,
    by: "sam",
    project: "survey",
    workspace: "fieldTeam",
    accessLevel: "internal",
    classification: "internal",
    permissions: surveyAccess,
    metadata: { project: "Field Survey", workspace: "Field team", site: "08", altitudeMeters: 100, minutes: 16 },
    // just uploaded: pending
    processing: [],
  },
];

/** The demo data set as ./seed.ts takes it (tests hand it a variant). */
export interface DemoDataSet {
  contracts: DemoContract[];
  trees: DemoFile[];
}

export const DEMO_DATA: DemoDataSet = { contracts: DEMO_CONTRACTS, trees: DEMO_TREES };

/** Every file of a tree, parents before children (depth first, in the order given). */
export function* walk(files: DemoFile[], depth = 0): Generator<{ file: DemoFile; depth: number }> {
  for (const file of files) {
    yield { file, depth };
    yield* walk(file.children ?? [], depth + 1);
  }
}
