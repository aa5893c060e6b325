export { parseEditBlocks, formatEditBlocks, cleanPathLine, type ParseResult } from './parse.ts';
export { applyEdits, type ApplyOptions } from './apply.ts';
export { diffLines, type LineDiff } from './diff-stats.ts';
export { isTestFile, testWeakening } from './test-guard.ts';
export { checkPathSyntax } from './paths.ts';
