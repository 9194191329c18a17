import fs from 'node:fs';
import path from 'node:path';
import { prismaModels } from '../adapters/prisma-schema.js';
import { FileSystemSourceHost } from '../code/source-host.js';
import { stableHash } from './stable-hash.js';
import { walkFiles } from '../files/walk.js';
import { codeStamp, sha } from '../files/code-stamp.js';
import { ModuleGraph } from './graph.js';
import { incremental } from './incremental.js';
import type { ListedSource } from './sources.js';
import { AuditCache, type CacheStats, type FileResult } from './store.js';

// The walker's use of the cache: the key every entry is written under, the module graph of
// this run, the files to analyse, and the cache written back.

export interface CacheReport extends CacheStats {
  /** The cache folder, or null when none was used (then `why`). */
  location: string | null;
  why?: string;
  /**
   * Files outside the analysis (migrations, Drizzle schemas, deployment files, the snapshot) that had to be read to
   * know their content: the others' stat matched what was recorded.
   */
  inputsRead?: number;
  /** Source files whose text was read to know their content (the others' stat matched); more are read if analysed. */
  sourcesRead?: number;
  /** Folders whose entries were read (the others' stat matched the last run's listing: see files/walk.ts). */
  foldersRead?: number;
}

export interface IncrementalAuditInput {
  root: string;
  /** The sources: `text` is read only when asked for (see sources.ts). */
  files: readonly ListedSource[];
  targets: ReadonlySet<string>;
  cacheDir: string | null;
  /** What every file's results depend on besides source files: tool version, model, config, options. */
  key: unknown[];
  analyse: (
    files: readonly ListedSource[],
    want: ReadonlySet<string>,
    walkWantedOnly?: boolean,
  ) => Map<string, FileResult>;
}

export function incrementalAudit(input: IncrementalAuditInput): {
  results: Map<string, FileResult>;
  stats: CacheStats;
} {
  const { root } = input;
  const cache = input.cacheDir
    ? new AuditCache(
        input.cacheDir,
        root,
        stableHash([...input.key, codeStamp(), prismaModels(root), lockfiles(root)]),
        resolutionKey(
          root,
          input.files.map((f) => f.rel),
        ),
      )
    : undefined;
  const graph = new ModuleGraph(root, new FileSystemSourceHost(), (rel, hash) => cache?.knownImports(rel, hash)).build(
    input.files,
  );
  const out = incremental({ files: input.files, targets: input.targets, graph, cache, analyse: input.analyse });
  cache?.save(graph, out.valid);
  return { results: out.results, stats: out.stats };
}

const RESOLUTION_INPUT = /^(?:(?:tsconfig|jsconfig)(?:\..+)?\.json|package\.json|pnpm-workspace\.yaml)$/;

/**
 * Where an import leads depends on which files exist and on the tsconfig and package.json
 * files (paths, workspaces, exports): cached import edges hold only while these are the same.
 */
function resolutionKey(root: string, files: readonly string[]): string {
  const walked = walkFiles([root], { extensions: ['.json', '.yaml'] }, root);
  const inputs = walked.files.filter((f) => RESOLUTION_INPUT.test(path.basename(f))).sort();
  return sha(
    [...files].sort().join('\n') + '\n--\n' + inputs.map((f) => `${path.relative(root, f)}\0${readOr(f)}`).join('\n'),
  );
}

/** With the type checker, installed types decide evidence too: the lockfiles stand for them. */
function lockfiles(root: string): string {
  return sha(
    ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb']
      .map((f) => readOr(path.join(root, f)))
      .join('\0'),
  );
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
