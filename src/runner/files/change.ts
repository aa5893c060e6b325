// One file of a proposed change, in memory, before anything is written:
// the shape every static rule on a change (protection, scope, test
// integrity, content limits) reads.

export interface FileChange {
  /** Repository-relative path, already checked by edits/paths.ts. */
  path: string;
  /** Content before the change; null when the change creates the file. */
  before: string | null;
  /** Content after the change; null when the change deletes the file. */
  after: string | null;
}
