import fs from 'node:fs';
import path from 'node:path';
import type { TSESLint } from '@typescript-eslint/utils';
import type ts from 'typescript';
import { analyze, type CoreResult } from '../analysis/index.js';
import { resolveAnalysisConfig } from '../analysis/config.js';
import { DEFAULT_MAX_FILE_BYTES, libraryFor, parseSource, type SourceHost, FileSystemSourceHost, tooLarge } from '../analysis/source-host.js';
import { setPrismaSchemaPaths } from '../adapters/prisma-schema.js';
import type { LibraryAliases } from '../resolve/libraries.js';
import { checkerEvidence } from '../analysis/type-evidence.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { loadModel } from '../schema/load.js';

// The ESLint front end's bridge to the core: the file being linted (from the parser's
// TypeScript AST when there is one, so nothing is parsed twice), the config and the
// migration model (both cached per process), and imported modules read from disk.

const results = new WeakMap<object, CoreResult>();
const configs = new Map<string, LoadedConfig>();

/** Analyses the file once per lint run, whichever rule asks first. */
export function lintAnalysis(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): CoreResult {
  const sourceCode = context.sourceCode;
  const hit = results.get(sourceCode);
  if (hit) return hit;
  const filename = path.resolve(context.physicalFilename ?? context.filename);
  const loaded = configFor(path.dirname(filename));
  setPrismaSchemaPaths(loaded.dir, loaded.config.prismaSchema?.map((p) => path.resolve(loaded.dir, p)));
  // The same limit as the walker's, so the two front ends agree on what they skip.
  const limit = loaded.config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const size = Buffer.byteLength(sourceCode.text);
  if (size > limit) {
    const skipped: CoreResult = { sites: [], findings: [], settingsSet: new Set(), work: { facts: 0, bodies: 0, steps: 0 }, incomplete: [{ file: path.relative(loaded.dir, filename), reason: tooLarge(size, limit) }] };
    results.set(sourceCode, skipped);
    return skipped;
  }
  const sf = tsSourceFile(sourceCode, filename);
  const model = loadModel(loaded.dir, loaded.config);
  const strict = context.settings?.['rls-guard'] && (context.settings['rls-guard'] as { strict?: boolean }).strict === true;
  const config = resolveAnalysisConfig(model, loaded.config, { strict: !!strict });
  const host = new OverlayHost(sharedHost, sf, loaded.config.libraries);
  // With typed linting, the checker adds evidence; the AST is the program's, so nodes match.
  const program = sourceCode.parserServices?.program as ts.Program | null | undefined;
  const types = program && program.getSourceFile(sf.fileName) === sf ? checkerEvidence(program.getTypeChecker()) : undefined;
  const result = analyze({ root: loaded.dir, files: [sf], host, model, config, wholeProgram: false, ...(types ? { types } : {}) });
  results.set(sourceCode, result);
  return result;
}

export function tsSourceFile(sourceCode: TSESLint.SourceCode, filename: string): ts.SourceFile {
  const map = sourceCode.parserServices?.esTreeNodeToTSNodeMap;
  const fromParser = map?.get(sourceCode.ast as never) as ts.Node | undefined;
  if (fromParser && (fromParser as ts.SourceFile).statements !== undefined && (fromParser as ts.SourceFile).text === sourceCode.text) return fromParser as ts.SourceFile;
  return parseSource(filename, sourceCode.text);
}

export function configFor(dir: string): LoadedConfig {
  let c = configs.get(dir);
  if (!c) {
    c = loadConfig({ start: dir });
    configs.set(dir, c);
  }
  return c;
}

/** Imported modules, re-read when they change on disk (an editor session outlives edits). */
class FreshFileHost implements SourceHost {
  private readonly cache = new Map<string, { stamp: string; sf: ts.SourceFile | undefined }>();
  private readonly fs = new FileSystemSourceHost();

  getSourceFile(absPath: string): ts.SourceFile | undefined {
    let stamp = 'missing';
    try {
      const st = fs.statSync(absPath);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      // missing files resolve to undefined below
    }
    const hit = this.cache.get(absPath);
    if (hit && hit.stamp === stamp) return hit.sf;
    const sf = stamp === 'missing' ? undefined : new FileSystemSourceHost().getSourceFile(absPath);
    this.cache.set(absPath, { stamp, sf });
    return sf;
  }

  resolveModule(fromFile: string, specifier: string): string | undefined {
    return this.fs.resolveModule(fromFile, specifier);
  }
}

const sharedHost = new FreshFileHost();

class OverlayHost implements SourceHost {
  constructor(
    private readonly base: SourceHost,
    private readonly current: ts.SourceFile,
    private readonly libraries: LibraryAliases | undefined,
  ) {}

  libraryFor(fromFile: string, specifier: string): string | undefined {
    return libraryFor(this.libraries, fromFile, specifier, (f, s) => this.base.resolveModule(f, s));
  }

  getSourceFile(absPath: string): ts.SourceFile | undefined {
    return path.resolve(this.current.fileName) === absPath ? this.current : this.base.getSourceFile(absPath);
  }

  resolveModule(fromFile: string, specifier: string): string | undefined {
    return this.base.resolveModule(fromFile, specifier);
  }
}
