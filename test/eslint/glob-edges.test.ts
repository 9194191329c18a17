import { describe, expect, it } from 'vitest';
import { globLiterals, globMayMatch } from '../../src/eslint/glob-edges.js';

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
