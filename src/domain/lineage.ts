// Lineage rules: where a new file sits in its tree is computed from its parent, never taken from
// the caller. A root is its own root at depth 0; a child follows its parent.
import type { Classification } from "./vocabulary.ts";
import { CLASSIFICATIONS } from "./vocabulary.ts";

export interface LineageParent {
  id: string;
  projectId: string;
  rootFileId: string | null;
  lineageDepth: number;
}

export interface LineagePosition {
  projectId: string;
  parentFileId: string | null;
  rootFileId: string;
  lineageDepth: number;
}

/** The position of a new file: under `parent`, or a new root (`id` is the new file's own id). */
export function positionUnder(parent: LineageParent | null, id: string, projectId: string): LineagePosition {
  if (!parent) return { projectId, parentFileId: null, rootFileId: id, lineageDepth: 0 };
  return {
    projectId: parent.projectId,
    parentFileId: parent.id,
    // rows written by old code with a NULL root are their own root
    rootFileId: parent.rootFileId ?? parent.id,
    lineageDepth: parent.lineageDepth + 1,
  };
}

/** The higher of two classifications: derived data is at least as sensitive as its source. */
export function atLeast(a: Classification, b: Classification): Classification {
  return CLASSIFICATIONS.indexOf(a) >= CLASSIFICATIONS.indexOf(b) ? a : b;
}
