// A lossless view of a markdown file as a preamble plus `## ` sections.
// Rendering an unmodified document gives back the exact input, so the bot
// can rewrite the sections it owns and keep everything a human wrote verbatim.

export interface Section {
  /** Heading text without the `## ` marker. */
  heading: string;
  /** The heading line's own line ending, as written. */
  eol?: string;
  /** Everything after the heading line up to the next `## ` heading (including its newlines). */
  body: string;
}

export interface MarkdownDoc {
  preamble: string;
  sections: Section[];
}

const HEADING = /^## (.*)$/;

export function parseMarkdown(text: string): MarkdownDoc {
  const lines = text.split(/(?<=\n)/);
  const doc: MarkdownDoc = { preamble: '', sections: [] };
  let current: Section | undefined;
  let inFence = false;
  for (const line of lines) {
    if (/^(```|~~~)/.test(line)) inFence = !inFence;
    const m = inFence ? null : HEADING.exec(line.replace(/\r?\n$/, ''));
    if (m) {
      current = { heading: m[1] ?? '', body: '', eol: /\r?\n$/.exec(line)?.[0] ?? '' };
      doc.sections.push(current);
    } else if (current) current.body += line;
    else doc.preamble += line;
  }
  return doc;
}

export function renderMarkdown(doc: MarkdownDoc): string {
  return (
    doc.preamble + doc.sections.map((s) => `## ${s.heading}${s.eol ?? '\n'}${s.body}`).join('')
  );
}

export function findSection(doc: MarkdownDoc, heading: string): Section | undefined {
  const key = heading.toLowerCase();
  return doc.sections.find((s) => s.heading.trim().toLowerCase() === key);
}

/** Replaces a section's body, or appends the section when it is missing. */
export function setSection(doc: MarkdownDoc, heading: string, content: string): void {
  const text = content.replace(/\s+$/, '');
  const existing = findSection(doc, heading);
  if (existing) {
    // Keep the blank-line layout before the next heading as the human had it.
    const trailing = /\n*$/.exec(existing.body)?.[0] ?? '';
    existing.body = `${text}${trailing || '\n'}`;
    if (!existing.eol) existing.eol = '\n';
  } else {
    const body = `${text}\n\n`;
    const last = doc.sections[doc.sections.length - 1];
    if (last && !last.body.endsWith('\n\n')) last.body = last.body.replace(/\n*$/, '\n\n');
    else if (!last && doc.preamble && !doc.preamble.endsWith('\n\n'))
      doc.preamble = doc.preamble.replace(/\n*$/, '\n\n');
    doc.sections.push({ heading, body });
  }
}

/** Sets `**Key**: value` in the preamble (replacing the line, or adding it after the title). */
export function setField(doc: MarkdownDoc, key: string, value: string): void {
  const re = new RegExp(`^\\*\\*${escapeRe(key)}\\*\\*:.*$`, 'm');
  const line = `**${key}**: ${value}`;
  if (re.test(doc.preamble)) {
    doc.preamble = doc.preamble.replace(re, line);
    return;
  }
  const lines = doc.preamble.split('\n');
  const title = lines.findIndex((l) => l.startsWith('# '));
  // Fields go after the title and its blank line, in a block of their own.
  let at = title >= 0 ? title + 1 : 0;
  if (lines[at] === '') at++;
  while (at < lines.length && /^\*\*[^*]+\*\*:/.test(lines[at] ?? '')) at++;
  lines.splice(at, 0, line);
  doc.preamble = lines.join('\n');
  if (!doc.preamble.endsWith('\n')) doc.preamble += '\n';
}

export function getField(doc: MarkdownDoc, key: string): string | undefined {
  const re = new RegExp(`^\\*\\*${escapeRe(key)}\\*\\*:\\s*(.*)$`, 'm');
  return re.exec(doc.preamble)?.[1]?.trim();
}

/** Bullet items (`- x` or `1. x`) of a section body, in order. */
export function listItems(body: string): string[] {
  return body
    .split('\n')
    .map((l) => /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
