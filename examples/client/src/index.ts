// A typed FMS client, generated from schema.graphql by GraphQL Code Generator (npm run
// client:generate) from the operations in ../operations.
export {
  type Client,
  type ClientOptions,
  createClient,
  type Fetch,
  RequestError,
  type ResponseError,
} from "./client.ts";
export { type FilePage, type FileSummary, listFiles } from "./files.ts";
export { type LineageNode, type LineageWalk, lineagePages, type WalkOptions, walkLineage } from "./lineage.ts";
export {
  type Materialization,
  type MaterializationOutcome,
  type Refusal,
  registerMaterialization,
} from "./materialize.ts";
