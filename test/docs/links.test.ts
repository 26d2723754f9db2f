/** Markdown links: every relative link of the repository resolves inside it, to a file and heading that exist. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { anchorsOf, brokenLinks, headingSlug, linksOf } from '../../scripts/docs/markdown-links';

/** A throw-away repository with the given files. */
function repository(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'concord-links-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe('markdown-links', () => {
  it('finds no broken link in the repository', () => {
    // Prepare
    const where = (link: { file: string; line: number; target: string; reason: string }) =>
      `${link.file}:${link.line} ${link.target}: ${link.reason}`;

    // Act
    const broken = brokenLinks();

    // Assess
    expect(broken.map(where)).toEqual([]);
  });

  it('reports links that leave the repository, name a missing file or a missing heading', () => {
    // Prepare
    const root = repository({
      'README.md': [
        '# Concord',
        '',
        'The [map](../shared/DESIGN.md), [facts](/../../etc/passwd), [gone](docs/gone.md),',
        '[a heading](docs/a.md#first-steps), [no heading](docs/a.md#nowhere), [local](#concord),',
        '[web](https://example.com/x.md), `[code](missing.md)`, [file](file:///work/shared/DESIGN.md)',
        '',
        '```md',
        '[fenced](missing.md)',
        '```',
        '',
        '[ref]: ./docs/missing-too.md',
      ].join('\n'),
      'docs/a.md': '# A\n\n## First steps\n\n[up](../README.md#concord)\n',
      'node_modules/x/README.md': '[ignored](../../nowhere.md)\n',
    });

    // Act
    const broken = brokenLinks(root);

    // Assess
    try {
      expect(broken.map((link) => [link.file, link.line, link.target, link.reason])).toEqual([
        ['README.md', 3, '../shared/DESIGN.md', 'leaves the repository'],
        ['README.md', 3, '/../../etc/passwd', 'leaves the repository'],
        ['README.md', 3, 'docs/gone.md', 'docs/gone.md does not exist'],
        ['README.md', 4, 'docs/a.md#nowhere', 'docs/a.md has no heading #nowhere'],
        [
          'README.md',
          5,
          'file:///work/shared/DESIGN.md',
          'a file: URL points at one machine, not at the repository',
        ],
        ['README.md', 11, './docs/missing-too.md', 'docs/missing-too.md does not exist'],
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names headings as GitHub does, numbering repeats', () => {
    // Prepare
    const markdown = [
      '# Architecture: the ingest edge',
      '## bench/warehouse (`npm run bench`, sixth part; `npx tsx bench/warehouse/run.ts [--events 100000]`)',
      '## Security of the edge',
      '## Security of the edge',
      'Setext heading',
      '==============',
      '<a id="explicit-anchor"></a>',
      '```',
      '# not a heading',
      '```',
    ].join('\n');

    // Act
    const anchors = [...anchorsOf(markdown)];

    // Assess
    expect(anchors).toEqual([
      'architecture-the-ingest-edge',
      'benchwarehouse-npm-run-bench-sixth-part-npx-tsx-benchwarehouserunts---events-100000',
      'security-of-the-edge',
      'security-of-the-edge-1',
      'setext-heading',
      'explicit-anchor',
    ]);
    expect(headingSlug('The `concord` command')).toBe('the-concord-command');
  });

  it('reads link targets with titles, angle brackets and parentheses', () => {
    // Prepare
    const markdown = '[a](docs/a.md "title") [b](<docs/b c.md>) [c](docs/c_(1).md) ![d](images/d.png)';

    // Act
    const targets = linksOf(markdown, 'README.md').map((link) => link.target);

    // Assess
    expect(targets).toEqual(['docs/a.md', 'docs/b c.md', 'docs/c_(1).md', 'images/d.png']);
  });
});
