import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from '../ts.js';
import { defineConfig } from './types.js';

// Loads rls-guard.config.{ts,mts,mjs,js,cjs} synchronously, because ESLint rules are
// synchronous and read the same config. The file is transpiled to CommonJS with the
// TypeScript compiler rls-guard already depends on and run in this process: ~10 ms with
// TypeScript loaded, against ~1 s for a child `node --import tsx` (which also cannot load
// rls-guard itself: its SQL parser initialises with top-level await). `rls-guard` imported
// from the config resolves to this module's defineConfig for the same reason; other imports
// resolve from the config's folder with Node's require (JSON, CommonJS, and ES modules
// without top-level await).

export const SCRIPT_CONFIG = /\.(c|m)?(t|j)s$/;

export function evaluateConfigFile(file: string): unknown {
  const source = fs.readFileSync(file, 'utf8');
  const output = ts.transpileModule(source, {
    // As a .ts name: TypeScript keeps .mts/.mjs files as ES modules whatever `module` says.
    fileName: file.replace(SCRIPT_CONFIG, '.ts'),
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      sourceMap: false,
      inlineSourceMap: false,
    },
  });
  const syntax = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax) {
    const line =
      syntax.file && syntax.start !== undefined
        ? `line ${syntax.file.getLineAndCharacterOfPosition(syntax.start).line + 1}: `
        : '';
    throw new Error(`${line}${ts.flattenDiagnosticMessageText(syntax.messageText, ' ')}`);
  }
  const nodeRequire = createRequire(file);
  const configRequire = (id: string): unknown =>
    id === 'rls-guard' ? { defineConfig, default: { defineConfig } } : nodeRequire(id);
  const module = { exports: {} as Record<string, unknown> };
  // The config is the project's own code, run as its author intends (as ESLint runs eslint.config.js).
  new Function('exports', 'require', 'module', '__filename', '__dirname', output.outputText)(
    module.exports,
    configRequire,
    module,
    file,
    path.dirname(file),
  );
  const exported = 'default' in module.exports ? module.exports.default : module.exports;
  if (exported instanceof Promise || typeof (exported as { then?: unknown } | null)?.then === 'function') {
    throw new Error(
      'the default export is a Promise; export the configuration object itself (top-level await is not supported, ' +
      'because the ESLint plugin reads it synchronously)',
    );
  }
  if (typeof exported === 'function')
    throw new Error('the default export is a function; export the configuration object (defineConfig({ … }))');
  return exported;
}
