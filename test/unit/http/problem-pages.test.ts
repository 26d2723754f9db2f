import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { problemTypeBaseUri } from '../../../functions/shared/config';
import { ConfigurationError } from '../../../functions/shared/errors';
import {
  problemPagePath,
  problemResult,
  problemTypeBase,
  problemTypeUri,
} from '../../../functions/shared/http/problem';
import { stageConfig, stageNames } from '../../../infra/config/stage-config';

const root = path.join(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every problem slug the functions can answer: the `slug` of each ProblemMapping they declare. */
function emittedSlugs(): string[] {
  const slugs = sourceFiles(path.join(root, 'functions'))
    .map((file) => readFileSync(file, 'utf8'))
    .filter((text) => text.includes('ProblemMapping'))
    .flatMap((text) => [...text.matchAll(/\bslug:\s*'([a-z0-9-]+)'/g)].map((match) => match[1] as string));
  return [...new Set(slugs)].sort();
}

function pageSlugs(): string[] {
  return readdirSync(path.join(root, 'docs/problems'))
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .map((file) => file.replace(/\.md$/, ''))
    .sort();
}

describe('problem type pages', () => {
  it('has a page for every problem type the code can answer, and no page for a type it does not', () => {
    // Act
    const emitted = emittedSlugs();

    // Assess: the scan finds both APIs' answers, so an empty or partial scan cannot pass
    expect(emitted).toEqual(
      expect.arrayContaining(['invalid-signature', 'invalid-request', 'internal-error']),
    );
    expect(pageSlugs()).toEqual(emitted);
  });

  it('explains each type: its meaning, what the sender should do and an example body of that type', () => {
    for (const slug of pageSlugs()) {
      // Prepare
      const page = readFileSync(path.join(root, problemPagePath(slug)), 'utf8');

      // Act
      const example = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(page)?.[1] ?? 'null');
      const status = Number(/status \*\*(\d{3})\*\*/.exec(page)?.[1]);

      // Assess
      expect({
        slug,
        meaning: page.includes('## What it means'),
        todo: page.includes('## What the sender should do'),
      }).toEqual({ slug, meaning: true, todo: true });
      expect(example).toEqual(
        expect.objectContaining({ type: expect.stringMatching(new RegExp(`/${slug}\\.md$`)), status }),
      );
    }
  });

  it('lists every page in the index', () => {
    // Prepare
    const index = readFileSync(path.join(root, 'docs/problems/README.md'), 'utf8');

    // Act
    const listed = [...index.matchAll(/\]\(([a-z0-9-]+)\.md\)/g)].map((match) => match[1]).sort();

    // Assess
    expect(listed).toEqual(pageSlugs());
  });

  it('answers the page of the type under the default base when no stage names one', () => {
    // Act
    const result = problemResult(new Error('Missing X-Shopify-Hmac-Sha256 header'), {
      status: 401,
      slug: 'invalid-signature',
      title: 'Invalid webhook signature',
    });

    // Assess
    expect(JSON.parse(result.body).type).toBe(`${problemTypeBase}invalid-signature.md`);
  });

  it('puts the type under the base the stage names', () => {
    // Act
    const type = problemTypeUri('payload-too-large', 'https://docs.example.org/concord/problems/');

    // Assess
    expect(type).toBe('https://docs.example.org/concord/problems/payload-too-large.md');
  });
});

describe('problemTypeBaseUri', () => {
  it('gives every stage an absolute base ending with a slash', () => {
    for (const stage of stageNames) {
      // Act
      const base = problemTypeBaseUri({ PROBLEM_TYPE_BASE_URI: stageConfig(stage).problemTypeBaseUri });

      // Assess
      expect(base).toBe(stageConfig(stage).problemTypeBaseUri);
    }
  });

  it('resolves the local stage to this checkout, where the pages are', () => {
    // Act
    const type = problemTypeUri('internal-error', stageConfig('local').problemTypeBaseUri);

    // Assess
    expect(existsSync(fileURLToPath(type))).toBe(true);
  });

  it('is undefined when the variable is not set', () => {
    expect(problemTypeBaseUri({})).toBeUndefined();
  });

  it('rejects a base that is not an absolute URI, or does not end with a slash, naming the variable', () => {
    // Act
    const relative = () => problemTypeBaseUri({ PROBLEM_TYPE_BASE_URI: 'docs/problems/' });
    const noSlash = () => problemTypeBaseUri({ PROBLEM_TYPE_BASE_URI: 'https://docs.example.org/problems' });

    // Assess
    expect(relative).toThrow(ConfigurationError);
    expect(relative).toThrow(/PROBLEM_TYPE_BASE_URI/);
    expect(noSlash).toThrow(/PROBLEM_TYPE_BASE_URI must end with "\/"/);
  });
});
