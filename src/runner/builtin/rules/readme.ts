// Rule 2: a README a newcomer can start from: create it when missing, or add
// the Installation / Usage / Testing sections it lacks, using commands
// detected from the repository (never invented ones).
import { basename } from 'node:path';
import { detectProject, type ProjectFacts } from '../detect.ts';
import type { Rule } from './types.ts';

interface Section {
  heading: string;
  present: RegExp;
  command?: string;
  lead: string;
}

function sections(f: ProjectFacts): Section[] {
  return [
    {
      heading: 'Installation',
      present: /install|setup|set up|getting started/i,
      command: f.install,
      lead: 'Install the dependencies:',
    },
    {
      heading: 'Usage',
      present: /usage|quick ?start|getting started|example|running/i,
      command: f.usage,
      lead: 'Run it:',
    },
    { heading: 'Testing', present: /test/i, command: f.test, lead: 'Run the test suite:' },
  ];
}

const render = (s: Section) => `## ${s.heading}\n\n${s.lead}\n\n\`\`\`sh\n${s.command}\n\`\`\`\n`;

function headings(markdown: string): string[] {
  const out: string[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const h = !inFence && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (h) out.push(h[1]!);
  }
  return out;
}

export const readmeRule: Rule = {
  id: 'readme',
  type: 'documentation',
  async run({ dir, files, tracked, policy, testCommand }) {
    const facts = detectProject(files, tracked, testCommand);
    const readme = tracked.find((p) => /^readme(\.[a-z]+)?$/i.test(p));
    const wanted = sections(facts).filter((s) => s.command);
    const maxLines = policy.maxLinesChanged;
    if (!readme) {
      let body = `# ${facts.name ?? basename(dir)}\n`;
      if (facts.description) body += `\n${facts.description}\n`;
      for (const s of wanted) {
        const next = `${body}\n${render(s)}`;
        if (next.split('\n').length - 1 > maxLines) break;
        body = next;
      }
      return {
        title: 'add a README',
        rationale:
          'The repository has no README; newcomers need to know what it is and how to install, run and test it.',
        blocks: [{ path: 'README.md', search: '', replace: body }],
      };
    }
    if (!/\.(md|markdown)$/i.test(readme)) return undefined;
    const current = files.find((f) => f.path === readme)?.content;
    if (current === undefined || current.trim() === '') return undefined;
    const hs = headings(current);
    const missing = wanted.filter(
      (s) => !hs.some((h) => s.present.test(h)) && !current.includes(s.command!),
    );
    if (missing.length === 0) return undefined;
    let after = current.endsWith('\n') ? current : `${current}\n`;
    const added: string[] = [];
    for (const s of missing) {
      const next = `${after}\n${render(s)}`;
      if (next.split('\n').length - current.split('\n').length + 1 > maxLines) break;
      after = next;
      added.push(s.heading);
    }
    if (added.length === 0) return undefined;
    return {
      title: `add ${added.join(', ')} to the README`,
      rationale: `The README has no ${added.join(' / ')} section; the commands are the ones this repository uses (${missing
        .filter((s) => added.includes(s.heading))
        .map((s) => s.command)
        .join(', ')}).`,
      blocks: [{ path: readme, search: current, replace: after }],
    };
  },
};
