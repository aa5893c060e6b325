// Counts the findings a lint or type check printed: one per line in any of
// the location formats the common tools write. No tool-specific parser, so a
// check the user names (spec.tests.extraChecks) is counted like a detected one.
//
//   src/a.ts:3:7: message           gcc/unix style: go vet, ruff (concise), flake8
//   src/a.ts(3,7): error TS2322: …  tsc
//     3:7  error  message  rule     eslint's default (stylish) format, under a file line
//   ::error file=a.ts,line=3::…     GitHub annotations (biome --reporter=github)
const PATTERNS = [
  /^[^\s:][^\s:]*:\d+:\d+:?\s/,
  /\(\d+,\d+\): (error|warning)\b/,
  /^\s+\d+:\d+\s+(error|warning)\s/,
  /^::(error|warning)\b/,
];

export function countFindings(output: string): number {
  let n = 0;
  for (const line of output.split('\n')) if (PATTERNS.some((p) => p.test(line))) n++;
  return n;
}
