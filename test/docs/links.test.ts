/**
 * The README and the pages under docs/ link to each other and to the code.
 * Every relative link must name a file or folder of this repository (never a
 * path outside it), and every #anchor a heading of the page it points to, as
 * GitHub makes heading anchors. Mentions of `docs/<page>.md#anchor` in the
 * code's comments are held to the same rule, so a renamed heading cannot
 * leave them behind.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function files(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' || name.startsWith('.') ? [] : files(full, keep);
    return keep(name) ? [full] : [];
  });
}

const PAGES = [path.join(ROOT, 'README.md'), ...files(path.join(ROOT, 'docs'), (name) => name.endsWith('.md'))];

/** The page without fenced code blocks and inline code, where link-like text is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[\u2000-\u206F\u2E00-\u2E7F\\'!"#$%&()*+,./:;<=>?@[\]^`{|}~]/g, '')
    .replace(/ /g, '-');
}

const anchorCache = new Map<string, Set<string>>();
function anchors(file: string): Set<string> {
  let found = anchorCache.get(file);
  if (!found) {
    found = new Set();
    const seen = new Map<string, number>();
    const text = readFileSync(file, 'utf8').replace(/^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[^\n]*$/gm, '');
    for (const match of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
      const base = slug(match[1] as string);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      found.add(n === 0 ? base : `${base}-${n}`);
    }
    anchorCache.set(file, found);
  }
  return found;
}

/** What is wrong with `target` as a link from `from`, or undefined when it resolves. */
function problem(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:...
  const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = rawPath === '' ? from : path.resolve(path.dirname(from), decodeURIComponent(rawPath));
  const relative = path.relative(ROOT, file);
  if (path.isAbsolute(rawPath) || relative.startsWith('..')) return 'points outside the repository';
  if (!existsSync(file)) return 'no such file';
  if (anchor !== undefined) {
    if (!file.endsWith('.md')) return 'an anchor into a file that is not markdown';
    if (!anchors(file).has(anchor)) return `no heading for #${anchor} in ${path.relative(ROOT, file)}`;
  }
  return undefined;
}

describe('documentation links', () => {
  it('finds the pages', () => {
    expect(PAGES.length).toBeGreaterThan(1);
  });

  it.each(PAGES.map((page) => [path.relative(ROOT, page), page]))(
    '%s: every relative link and anchor resolves inside the repository',
    (_name, page) => {
      const broken = [...prose(readFileSync(page, 'utf8')).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
        .map((m) => m[1] as string)
        .map((target) => [target, problem(page, target)])
        .filter(([, why]) => why !== undefined)
        .map(([target, why]) => `${target}: ${why}`);
      expect(broken).toEqual([]);
    },
  );

  it('every page under docs/ is linked from the README or another page', () => {
    const linked = new Set<string>();
    for (const page of PAGES) {
      for (const m of prose(readFileSync(page, 'utf8')).matchAll(/\]\(([^)#\s]+)/g)) {
        const target = m[1] as string;
        if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) linked.add(path.resolve(path.dirname(page), decodeURIComponent(target)));
      }
    }
    const orphans = PAGES.slice(1)
      .filter((page) => !linked.has(page))
      .map((page) => path.relative(ROOT, page));
    expect(orphans).toEqual([]);
  });

  it('docs/<page>.md#anchor mentions in the code name existing headings', () => {
    const sources = ['shared', 'functions', 'scripts', 'terraform'].flatMap((dir) =>
      files(path.join(ROOT, dir), (name) => /\.(ts|tf|js)$/.test(name)),
    );
    const broken: string[] = [];
    for (const file of sources) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bdocs\/([\w./-]+\.md)(?:#([\w-]+))?/g)) {
        const why = problem(path.join(ROOT, 'README.md'), `docs/${m[1]}${m[2] ? `#${m[2]}` : ''}`);
        if (why) broken.push(`${path.relative(ROOT, file)}: docs/${m[1]}${m[2] ? `#${m[2]}` : ''}: ${why}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
