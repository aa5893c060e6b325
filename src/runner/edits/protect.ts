// Which files a proposal may not change: the test harness, CI and repository
// governance always (files/kinds.ts), the user's protectedPaths, dependency
// manifests and lockfiles unless the proposal is a `dependencies` one, and
// the protected sections of package.json and pyproject.toml. Deleting or
// emptying a file is changing it.
import type { ImprovementType } from '../../crds/index.ts';
import type { FileChange } from '../files/change.ts';
import {
  HARNESS_AND_GOVERNANCE_GLOBS,
  isDependencyFile,
  mayChangeDependencies,
} from '../files/kinds.ts';
import { protectedBy } from './paths.ts';
import { packageJsonViolation, pyprojectViolation } from './sections.ts';

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1).toLowerCase();

/** Why the change touches something it may not, naming the path and the rule; undefined when it does not. */
export function protectionViolation(
  type: ImprovementType,
  changes: FileChange[],
  protectedPaths: string[],
): string | undefined {
  for (const c of changes) {
    if (c.before === c.after) continue;
    const harness = protectedBy(c.path, HARNESS_AND_GOVERNANCE_GLOBS);
    if (harness) return `path ${c.path} is protected (test harness and CI: ${harness})`;
    const user = protectedBy(c.path, protectedPaths);
    if (user) return `path ${c.path} is protected (protectedPaths: ${user})`;
    if (isDependencyFile(c.path) && !mayChangeDependencies(type)) {
      return `path ${c.path} is a dependency file; only a dependencies or security improvement may change it`;
    }
    const section =
      base(c.path) === 'package.json'
        ? packageJsonViolation(type, c)
        : base(c.path) === 'pyproject.toml'
          ? pyprojectViolation(type, c)
          : undefined;
    if (section) return section;
  }
  return undefined;
}
