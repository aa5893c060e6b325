export { parseEditBlocks, formatEditBlocks, cleanPathLine, type ParseResult } from './parse.ts';
export { applyEdits, type ApplyOptions } from './apply.ts';
export { diffLines, type LineDiff } from '../files/line-diff.ts';
export { checkPathSyntax, hiddenChars, HIDDEN_CHAR, protectedBy } from './paths.ts';
export { protectionViolation } from './protect.ts';
export {
  contentLimitViolation,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_LINE_LENGTH,
  type ContentLimits,
} from './limits.ts';
