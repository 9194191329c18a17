import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { BUNDLE_HEADER, distContentStamp } from '../src/cli-bundle.js';

// The CLI as one CommonJS file (dist/bundle/cli.cjs), built from tsc's output in dist/ after
// `tsc -p tsconfig.build.json` (`npm run build` runs both). dist/src/bin.js loads it through
// V8's code cache (src/cli-bundle.ts) instead of resolving, reading, linking and compiling
// 230 ES modules on every run; see docs/performance.md.
//
// What a bundle changes, and how this build keeps it as it was:
// - A module's `import.meta.url`, `.dirname` and `.filename` are its own file's in dist/, as
//   unbundled (packs/load.ts finds rules/ from there, run-worker.ts its worker, the code stamp
//   dist/src): each is replaced by that path, computed at run time from the bundle's own
//   place (dist/bundle/), so a package moved after its build still finds its files.
// - Packages stay outside the bundle (`require`d from node_modules as before): TypeScript is
//   loaded through its own code cache, libpg-query finds its WebAssembly beside itself.
// - No module may `await` at its top level (a CommonJS file cannot): libpg-query's WebAssembly
//   is instantiated synchronously at its first use (src/sql/libpg.ts), not awaited at start.
// - The bundle's first line names the code stamp (src/files/code-stamp.ts) of the dist/
//   files it was built from, and a hash of their contents (for an installed package, whose
//   files npm dates alike): after a plain `tsc` build both differ and the launcher runs
//   dist/src/cli.js unbundled, so a stale bundle never runs.

/**
 * src/ts.ts in the bundle: TypeScript loaded at its first use, not at start. Every module imports `ts` from there;
 * `ts` is a live binding (`export { ts as default }`, which esbuild keeps as one variable), first a stand-in whose
 * first property read loads TypeScript (through its code cache, src/code-cache.ts) and puts it in the binding's
 * place: every later `ts.x` in every module reads TypeScript's export, with nothing in between (its functions and
 * enums as plain properties, not TypeScript's getters: `flatExports` in src/code-cache.ts). A warm audit with
 * nothing changed parses nothing and never loads it (about 0.1 s of CPU); src/ts.ts itself stays as it is, for its
 * types and for the unbundled modules (tsx, `node dist/src/cli.js`), which load it at start.
 */
const LAZY_TS = [
  "import { flatExports, loadTypeScript } from './code-cache.js';",
  'let ts = new Proxy({}, {',
  '  get: (_, key) => Reflect.get(loaded(), key),',
  '  has: (_, key) => Reflect.has(loaded(), key),',
  '  ownKeys: () => Reflect.ownKeys(loaded()),',
  // A proxy may not report a property its target lacks as non-configurable (TypeScript's exports are).
  '  getOwnPropertyDescriptor: (_, key) => {',
  '    const d = Reflect.getOwnPropertyDescriptor(loaded(), key);',
  '    return d && { ...d, configurable: true };',
  '  },',
  '});',
  'function loaded() {',
  '  ts = flatExports(loadTypeScript().exports);',
  '  return ts;',
  '}',
  'export { ts as default };',
  '',
].join('\n');

/** Module-relative paths of dist/'s modules kept as they were unbundled (see above). */
function placement(dist: string): esbuild.Plugin {
  return {
    name: 'rls-guard-module-paths',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        const file = args.path;
        const rel = path.relative(dist, file).split(path.sep).join('/');
        if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined; // a package's file: as it is
        let text = fs.readFileSync(file, 'utf8');
        text = text
          .replaceAll('import.meta.url', `__rlsgUrl(${JSON.stringify(rel)})`)
          .replaceAll('import.meta.dirname', `__rlsgPath(${JSON.stringify(path.posix.dirname(rel))})`)
          .replaceAll('import.meta.filename', `__rlsgPath(${JSON.stringify(rel)})`);
        // A `#!` line is valid only at the very start of a file, and the bundle is loaded as a function body.
        if (text.startsWith('#!')) text = text.slice(text.indexOf('\n') + 1);
        if (rel === 'src/ts.js') {
          if (!/^export default ts;$/m.test(text)) throw new Error(`${rel}: "export default ts;" not found`);
          text = LAZY_TS;
        }
        return { contents: text, loader: 'js', resolveDir: path.dirname(file) };
      });
    },
  };
}

/**
 * Bundles `entry` (a module of tsc's output in `dist`) into `out`, a CommonJS file whose first line names `stamp` (the
 * code stamp of dist/) and the content stamp of dist/'s JavaScript (src/cli-bundle.ts).
 * `out` must be in a folder directly below `dist` (its helpers find dist/ as its folder's parent).
 */
export async function bundleCli(dist: string, entry: string, out: string, stamp: string): Promise<void> {
  const content = distContentStamp(dist);
  // ES modules are strict code, and esbuild does not say so when it makes them one CommonJS file: the banner does,
  // with only a comment before it (a statement there would void the directive). The helpers are function
  // declarations at the end, hoisted. `__dirname` is the bundle's folder, below dist/.
  const footer = [
    'function __rlsgPath(rel) { return require("node:path").join(__dirname, "..", rel); }',
    'function __rlsgUrl(rel) { return require("node:url").pathToFileURL(__rlsgPath(rel)).href; }',
  ].join('\n');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    outfile: out,
    banner: { js: `${BUNDLE_HEADER}${stamp} ${content}\n'use strict';` },
    footer: { js: footer },
    plugins: [placement(dist)],
    logLevel: 'silent',
    legalComments: 'none',
  });
  // esbuild leaves an `import.meta` it was not told about empty in a CommonJS file: a path that would be wrong.
  const left = result.warnings.filter((w) => w.text.includes('import.meta'));
  if (left.length) {
    fs.rmSync(out, { force: true });
    throw new Error(`import.meta left in the bundle:\n${left.map((w) => `${w.location?.file}: ${w.text}`).join('\n')}`);
  }
  for (const w of result.warnings) console.warn(`bundle: ${w.location?.file ?? ''}: ${w.text}`);
  fs.writeFileSync(out, lazyPackages(fs.readFileSync(out, 'utf8')));
}

/**
 * Packages only some commands use (the text formatter's code frames and colours), required at their first use: a
 * `var x = require("p")` (or `__toESM(require("p"), 1)`) at the bundle's top level becomes a stand-in that requires the
 * package when one of its members is first read. Every use of these is a member read (`import_x.default`, `(0,
 * import_x.f)(…)`), which the stand-in answers from the package itself.
 */
const LAZY_PACKAGES = ['@babel/code-frame', 'picocolors'];

export function lazyPackages(code: string): string {
  let out = code;
  for (const pkg of LAZY_PACKAGES) {
    const name = JSON.stringify(pkg);
    const statement = new RegExp(
      `^var (import_\\w+) = ((?:__toESM\\()?require\\(${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)(?:, 1\\))?);$`,
      'gm',
    );
    out = out.replace(statement, (_all, id: string, load: string) => `var ${id} = __rlsgLazy(() => ${load});`);
  }
  return out === code
    ? out
    : `${out}\nfunction __rlsgLazy(load) { let m; const get = () => (m ??= load()); ` +
        `return new Proxy({}, { get: (_, k) => get()[k], has: (_, k) => k in get() }); }\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const root = path.resolve(import.meta.dirname, '..');
  const dist = path.join(root, 'dist');
  const out = path.join(dist, 'bundle', 'cli.cjs');
  // The stamp as the built code computes it (dist/src/files/code-stamp.js): of dist/src and dist/rules.
  const stampModule = pathToFileURL(path.join(dist, 'src', 'files', 'code-stamp.js')).href;
  const { codeStamp } = (await import(stampModule)) as { codeStamp: () => string };
  const stamp = codeStamp();
  await bundleCli(dist, path.join(dist, 'src', 'cli.js'), out, stamp);
  console.log(`bundle: ${path.relative(root, out)} (${Math.round(fs.statSync(out).size / 1024)} KB, stamp ${stamp})`);
}
