import { createRequire } from 'node:module';
import { loadTypeScript } from './code-cache.js';
// TypeScript, loaded once through `require`. An ESM `import ts from 'typescript'` makes Node
// scan TypeScript's 9 MB CommonJS file for its export names (cjs-module-lexer) and detect its
// module format first: about 0.35 s of CPU at every start, a third of a warm audit's process
// time. `require` compiles it alone. Every module imports TypeScript from here (values and
// types alike: `import ts = require` keeps the namespace's types); `import type ts from
// 'typescript'` stays as it is, being erased. `tsc` emits its own createRequire for the
// `import … = require`; the `require` below is for tsx and esbuild, which emit a plain
// `require(…)` call in its place (the background index build runs under tsx from source).
// loadTypeScript() compiles TypeScript from V8's code cache and puts it in `require`'s cache,
// where the `require` below finds it (it is called here rather than when code-cache.ts is
// evaluated: the CLI's launcher, src/bin.ts, imports that module without needing TypeScript).

loadTypeScript();
const require = createRequire(import.meta.url);
import ts = require('typescript');
export default ts;
