import { describe, expect, it } from 'vitest';
import { globPattern } from '../../src/code/rc-controllers.js';
import { globLiterals, globMayMatch, globWork, longestLiteral } from '../../src/eslint/glob-edges.js';

// The project index's edges from a file that registers others by a glob (routing-controllers' `controllers`), read
// from the text with TypeScript's scanner.

describe('globLiterals', () => {
  it('reads globs from strings, templates and path.join arguments', () => {
    const text = [
      "useExpressServer(app, { controllers: [path.join(__dirname, 'ops/*.controller.{ts,js}')] });",
      'createExpressServer({ controllers: [`${__dirname}/controllers/**/*.js`] });',
      'const other = "plain string";',
    ].join('\n');
    expect(globLiterals(text).sort()).toEqual(['/controllers/**/*.js', 'ops/*.controller.{ts,js}']);
  });

  it('finds none in a file with only comments and arithmetic', () => {
    expect(globLiterals('/** A doc comment. */\nconst area = width * height;\nconst x = a *.5;\n')).toEqual([]);
  });

  it('scans a regular expression whole, so a quote in it opens no string that would swallow a glob', () => {
    const text = "const quote = /'/g;\nconst dirs = ['api/*.controller.ts'];\n";
    expect(globLiterals(text)).toEqual(['api/*.controller.ts']);
  });

  it('goes on after a template span with braces inside', () => {
    const text = "const s = `${fn({ a: 1 })}/x`;\nconst g = 'jobs/*.handler.ts';\n";
    expect(globLiterals(text)).toEqual(['jobs/*.handler.ts']);
  });
});

describe('globMayMatch', () => {
  it('matches relative to any folder, and a .js glob matches the TypeScript source', () => {
    expect(globMayMatch('ops/*.controller.{ts,js}', 'src/ops/ops.controller.ts')).toBe(true);
    expect(globMayMatch('/../controllers/*.js', 'src/controllers/users.ts')).toBe(true);
    expect(globMayMatch('ops/*.controller.{ts,js}', 'src/ops/legacy.ts')).toBe(false);
    expect(globMayMatch('ops/*.controller.{ts,js}', 'src/other/ops.controller.ts')).toBe(false);
  });

  it('makes no edge of a glob that names nothing but an extension', () => {
    expect(globMayMatch('**/*.ts', 'src/app.ts')).toBe(false);
    expect(globMayMatch('*.{ts,js}', 'src/app.ts')).toBe(false);
  });
});

describe('the glob matching of the project graph', () => {
  // The translation before lint34, each star on its own: the reference the merged wildcards must agree with.
  function reference(glob: string): RegExp {
    let re = '';
    for (let i = 0; i < glob.length; i++) {
      const c = glob[i]!;
      if (c === '*' && glob[i + 1] === '*') {
        re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += glob[i + 2] === '/' ? 2 : 1;
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else if (c === '{') {
        const end = glob.indexOf('}', i);
        re += `(?:${glob.slice(i + 1, end).split(',').map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&')).join('|')})`;
        i = end;
      } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}$`);
  }

  it('compiles a run of stars (a masked number read as a glob) to one wildcard, not one per pair of stars', () => {
    // `.*.*.*` tried every three-way split of each path: about 1 s per process on signacare's 3,371 files.
    expect(globPattern('**/******3456')!.source).toBe('^.*3456$');
    expect(globPattern('a/***/b')!.source).toBe('^a\\/.*\\/b$');
    expect(globPattern('**/**/x.ts')!.source).toBe('^(?:.*\\/)?(?:.*\\/)?x\\.ts$');
    expect(globPattern('src/**/*.controller.{ts,js}')!.source).toBe('^src\\/(?:.*\\/)?[^/]*\\.controller\\.(?:ts|js)$');
  });

  it('matches exactly the paths the star-by-star translation matched', () => {
    const globs = [
      '**/******3456', '***/x', 'a/***/b', '**/*.spec.ts', 'ops/*.controller.{ts,js}', '**/**/x.ts', '*/**', '**',
      '***', 'a*b*c', 'a**b', '**/a/**', 'src/**/*.js', '?/x*', 'x/*/**/y', '****/z', 'a/**b/c', '**/*****.ts',
    ];
    const paths = [
      '', 'x', 'a/b', 'a/x/b', 'a/x/y/b', '/src/x/3456', 'card-3456', 'p/123456', '3456/x', 'a/b/x.ts', 'x.ts',
      'src/ops/ops.controller.ts', 'ops/a.controller.js', 'q/x', 'x/y', 'x/a/b/y', 'x/y/z', 'abc', 'a/b/c', 'axbxc',
      'a/bb', 'a/b/', '/a/b/c/d', 'z', 'q/z', 'q/r/z', 'a.spec.ts', 'deep/a/b.spec.ts', 'ab/c', 'a/xb/c', '.ts',
    ];
    for (const g of globs) {
      for (const p of paths) expect([g, p, globPattern(g)!.test(p)]).toEqual([g, p, reference(g).test(p)]);
    }
  });

  it('takes each literal apart once, whatever the number of files it is matched against', () => {
    const before = globWork.loosened;
    const files = Array.from({ length: 50 }, (_, i) => `src/ops/f${i}.controller.ts`);
    const literal = `ops-${before}/*.controller.{ts,js}`;
    for (const f of files) globMayMatch(literal, f);
    expect(globWork.loosened - before).toBe(1);
  });

  it('runs the pattern only for paths that hold the glob\'s longest literal piece (lint36)', () => {
    expect(longestLiteral('**/ops/*.controller.{ts,js}')).toBe('.controller.');
    expect(longestLiteral('**/******3456')).toBe('3456');
    expect(longestLiteral('**/a/**/bc')).toBe('a/');
    expect(longestLiteral('**/x{a,b')).toBe('');
    const files = [
      ...Array.from({ length: 200 }, (_, i) => `src/lib/util${i}.ts`),
      'src/ops/users.controller.ts',
      'src/ops/legacy.ts',
    ];
    const before = globWork.tested;
    const matched = files.filter((f) => globMayMatch('ops/*.controller.{ts,js}', f));
    expect(matched).toEqual(['src/ops/users.controller.ts']);
    // The 201 paths without `.controller.` are told apart without the pattern.
    expect(globWork.tested - before).toBe(1);
  });

  it('matches exactly what the pattern alone matches, with the literal piece checked first', () => {
    const globs = [
      'ops/*.controller.{ts,js}', '/../controllers/*.js', '******3456', 'a/**/b.ts', 'src/**/*.handler.ts', 'x?y/*.ts',
      'jobs/{a,b}/*.job.js', 'api/**', 'a*b/c.mjs', 'x{a,b', '**/ops/**/*.cts',
    ];
    const paths = [
      'src/ops/users.controller.ts', 'ops/a.controller.js', 'src/controllers/users.ts', 'controllers/x.mts',
      'card-3456', 'p/123456.ts', 'a/b.ts', 'a/x/y/b.ts', 'src/q/w.handler.ts', 'xzy/q.ts', 'jobs/a/send.job.ts',
      'jobs/c/send.job.ts', 'api/x/y.tsx', 'axxb/c.mts', 'src/ops/deep/z.cts', 'deep/ops/x.cjs', 'plain.ts',
    ];
    // The translation globMayMatch stands for: the glob loosened (`**/` before it), tried on the path and on its `.js`.
    const loose = (g: string): RegExp | null => {
      const parts = g.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
      return globPattern(`**/${parts.join('/')}`);
    };
    for (const g of globs) {
      const re = loose(g);
      for (const p of paths) {
        const js = p.replace(/\.([cm]?)tsx?$/, '.$1js');
        const expected = !!re && (re.test(`/${p}`) || (js !== p && re.test(`/${js}`)));
        expect([g, p, globMayMatch(g, p)]).toEqual([g, p, expected]);
      }
    }
  });
});
