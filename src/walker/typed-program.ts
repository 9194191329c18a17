import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type ts from 'typescript';
import { adapters } from '../adapters/index.js';
import { checkerEvidence, type TypeEvidence } from '../analysis/type-evidence.js';
import { readSource } from '../files/source.js';
import { PACKAGE_ROOT } from '../version.js';

// With the audited project's dependencies installed, ts-morph builds a program over the same
// files so the checker can add type evidence. Without them (a bare fork checkout) the walker
// never builds a program: provenance alone decides, and nothing needs installing.


export function hasInstalledTypes(root: string): boolean {
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    // rls-guard's own dependencies (it depends on pg for --database-url) say nothing about the
    // audited project: skip the checkout rls-guard itself runs from.
    if (dir !== PACKAGE_ROOT) for (const adapter of adapters) {
      for (const m of adapter.modules) {
        const installed = (...parts: string[]): boolean => fs.existsSync(path.join(dir, 'node_modules', ...parts));
        if (installed(m, 'package.json') || installed('@types', m, 'package.json')) return true;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

export interface TypedProgram {
  files: ts.SourceFile[];
  types: TypeEvidence;
  /** Files the program did not take (its compiler options exclude them): the caller must not lose them. */
  missing: string[];
}

/** Parses the files through a ts-morph project and returns its compiler nodes plus a checker. */
export function createTypedProgram(root: string, files: string[]): TypedProgram {
  // Loaded here, not at start: ts-morph brings a second TypeScript (about 0.4 s of CPU), which
  // an audit without installed types, and every warm re-audit, never needs.
  const { Project } = createRequire(import.meta.url)('ts-morph') as typeof import('ts-morph');
  const tsconfig = path.join(root, 'tsconfig.json');
  // JavaScript sources are audited whatever the project's tsconfig says: without `allowJs` the program left a
  // `scripts/migrate.mjs` out, and its writes were dropped (grantledger-platform, with its dependencies installed).
  const project = new Project({
    ...(fs.existsSync(tsconfig)
      ? { tsConfigFilePath: tsconfig, compilerOptions: { allowJs: true } }
      : { compilerOptions: { allowJs: true, strict: true, target: 99, module: 199, moduleResolution: 99 } }),
    skipAddingFilesFromTsConfig: true,
  });
  // The text as TypeScript's own reading decodes it (readSource: a UTF-16 BOM selects UTF-16): ts-morph reads every
  // file as UTF-8, so a UTF-16 source came out as U+FFFD and "File appears to be binary", its writes unread.
  for (const f of files) {
    const read = readSource(f);
    if (read.ok) project.createSourceFile(f, read.text, { overwrite: true });
  }
  const program = project.getProgram().compilerObject as unknown as ts.Program;
  const checker = program.getTypeChecker();
  const out: ts.SourceFile[] = [];
  const missing: string[] = [];
  for (const f of files) {
    const sf = program.getSourceFile(f);
    if (sf) out.push(sf);
    else missing.push(f);
  }
  return { files: out, types: checkerEvidence(checker), missing };
}
