/**
 * Checks the links of every markdown file in the repository: a relative link must stay inside the repository and
 * name a file that exists, and a `#heading` anchor must name a heading (or an `id`) of the file it points at, so
 * that a plain clone reads as a whole. Run directly (`npx tsx scripts/docs/markdown-links.ts`) it lists every broken
 * link and exits 1.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The repository root. */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** Directories never scanned: installed packages, build output and local runtime state are not the project's docs. */
export const skippedDirectories: ReadonlySet<string> = new Set([
  'node_modules',
  'cdk.out',
  '.concord',
  '.git',
]);

/** One link written in a markdown file. */
export interface MarkdownLink {
  /** The file, relative to the root it was found under. */
  file: string;
  /** 1-based line of the link. */
  line: number;
  /** The target as written, e.g. `../docs/cli.md#concord-dlq`. */
  target: string;
}

/** A link that does not resolve, and why. */
export interface BrokenLink extends MarkdownLink {
  reason: string;
}

/** Every `*.md` file under `root`, relative to it and sorted, skipping {@link skippedDirectories}. */
export function markdownFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!skippedDirectories.has(entry.name)) walk(path.join(directory, entry.name));
      } else if (entry.isFile() && entry.name.endsWith('.md')) {
        found.push(path.relative(root, path.join(directory, entry.name)));
      }
    }
  };
  walk(root);
  return found.sort();
}

/**
 * The markdown with fenced code blocks and inline code spans blanked out (line breaks kept, so line numbers stay
 * right): a link or a heading shown as code is an example, not a link.
 */
export function withoutCode(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  const kept = lines.map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    return line;
  });
  // A code span closes with a backtick run of the same length (CommonMark); spans do not cross blank lines.
  return kept.join('\n').replace(/(`+)[\s\S]*?[^`]\1(?!`)|(`+)\2/g, (span) => span.replace(/[^\n]/g, ' '));
}

/** The links of one markdown text: inline links and images `[text](target)` and reference definitions. */
export function linksOf(markdown: string, file: string): MarkdownLink[] {
  const text = withoutCode(markdown);
  const links: MarkdownLink[] = [];
  const lineAt = (index: number): number => text.slice(0, index).split('\n').length;
  // `](` then a target in angle brackets or up to whitespace / the closing parenthesis, an optional title.
  const inline = /\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/g;
  for (const match of text.matchAll(inline)) {
    const target = (match[1] ?? '').replace(/^<|>$/g, '');
    links.push({ file, line: lineAt(match.index ?? 0), target });
  }
  const definition = /^ {0,3}\[[^\]\n]+\]:\s*(<[^>\n]*>|\S+)/gm;
  for (const match of text.matchAll(definition)) {
    links.push({ file, line: lineAt(match.index ?? 0), target: (match[1] ?? '').replace(/^<|>$/g, '') });
  }
  return links.sort((a, b) => a.line - b.line);
}

/**
 * GitHub's anchor for a heading: its rendered text lower-cased, punctuation other than `-` and `_` dropped,
 * spaces as `-` (the github-slugger rules); a repeated heading gets `-1`, `-2`, … .
 */
export function headingSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link shows its text
    .replace(/<[^>]+>/g, '') // inline HTML shows nothing of its tags
    .replace(/[`*]/g, '') // code and emphasis markers
    .replace(/(^|\s)_+|_+(?=\s|$)/g, '$1') // `_emphasis_`, not snake_case
    .trim()
    .toLowerCase();
  return rendered.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors a markdown text defines: one per heading (ATX and setext), and every explicit `id`/`name`. */
export function anchorsOf(markdown: string): Set<string> {
  const text = withoutCode(markdown);
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const add = (heading: string): void => {
    const slug = headingSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  };
  const lines = text.split('\n');
  // Headings are read from the text with code blanked, but named from the original, which keeps code spans' text.
  const original = markdown.split('\n');
  lines.forEach((line, index) => {
    const atx = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(line);
    if (atx) {
      const heading = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(original[index] ?? '')?.[1] ?? '';
      add(heading);
      return;
    }
    const next = lines[index + 1] ?? '';
    if (line.trim() !== '' && /^ {0,3}(=+|-+)\s*$/.test(next) && !/^\s*([-*+]|\d+[.)])\s/.test(line)) {
      const previous = lines[index - 1] ?? '';
      // A `---` under a paragraph line is a setext heading only when that line starts a paragraph.
      if (/^ {0,3}=+\s*$/.test(next) || previous.trim() === '') add((original[index] ?? '').trim());
    }
  });
  for (const match of text.matchAll(/<[a-z][^>]*\s(?:id|name)=["']([^"']+)["']/gi)) {
    if (match[1]) anchors.add(match[1]);
  }
  return anchors;
}

/** A target with a scheme (`https:`, `mailto:`) points at the web, which this check does not fetch. */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) && !/^file:/i.test(target);
}

/** The reason `link` does not resolve inside `root`, or undefined when it does. */
export function brokenReason(link: MarkdownLink, root: string, anchorCache = new Map<string, Set<string>>()) {
  const { target } = link;
  if (/^file:/i.test(target)) return 'a file: URL points at one machine, not at the repository';
  if (isExternal(target)) return undefined;
  const hashAt = target.indexOf('#');
  const rawPath = hashAt < 0 ? target : target.slice(0, hashAt);
  const anchor = hashAt < 0 ? undefined : target.slice(hashAt + 1);
  let filePath: string;
  try {
    filePath = decodeURIComponent(rawPath.split('?')[0] ?? '');
  } catch {
    return `"${rawPath}" is not a valid URL path`;
  }
  const from = path.join(root, link.file);
  // GitHub reads a leading `/` as the repository root.
  const resolved =
    filePath === ''
      ? from
      : filePath.startsWith('/')
        ? path.join(root, filePath)
        : path.resolve(path.dirname(from), filePath);
  const inside = path.relative(root, resolved);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return 'leaves the repository';
  if (!existsSync(resolved)) return `${inside} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) return undefined;
  let anchors = anchorCache.get(resolved);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(resolved, 'utf8'));
    anchorCache.set(resolved, anchors);
  }
  const wanted = (() => {
    try {
      return decodeURIComponent(anchor);
    } catch {
      return anchor;
    }
  })();
  return anchors.has(wanted) ? undefined : `${inside} has no heading #${wanted}`;
}

/** Every broken link of every markdown file under `root`. */
export function brokenLinks(root: string = repoRoot): BrokenLink[] {
  const anchorCache = new Map<string, Set<string>>();
  const broken: BrokenLink[] = [];
  for (const file of markdownFiles(root)) {
    for (const link of linksOf(readFileSync(path.join(root, file), 'utf8'), file)) {
      const reason = brokenReason(link, root, anchorCache);
      if (reason) broken.push({ ...link, reason });
    }
  }
  return broken;
}

if (require.main === module) {
  const broken = brokenLinks();
  for (const link of broken) console.error(`${link.file}:${link.line}: ${link.target}: ${link.reason}`);
  if (broken.length > 0) process.exit(1);
  console.log(
    `Every link of ${markdownFiles(repoRoot).length} markdown files resolves inside the repository.`,
  );
}
