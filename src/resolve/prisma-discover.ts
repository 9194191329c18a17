import fs from 'node:fs';
import path from 'node:path';
import { ALWAYS_SKIPPED, currentRun, isFile } from '../files/walk.js';
import { isDir, readManifest, workspaceOf } from './workspaces.js';

// Where Prisma keeps its schema, in every package of a workspace, looked up the way the
// Prisma CLI does for one package: prisma.config.ts's `schema`, package.json's
// `"prisma": { "schema": … }`, then ./schema.prisma, ./prisma/schema.prisma and the
// multi-file ./prisma/schema/ folder. A configured path (`prismaSchema`) comes first.

export interface PrismaSchemaFiles {
  /** The .prisma files of one schema (several for a multi-file schema folder). */
  files: string[];
  /** The package folder whose schema it is (undefined for a path the config names). */
  dir?: string;
  /** A package below the root that no workspace lists (nestedPackages). */
  nested?: boolean;
}

const PRISMA_CONFIGS = [
  'prisma.config.ts',
  'prisma.config.mts',
  'prisma.config.js',
  'prisma.config.mjs',
  'prisma.config.cjs',
];

/** Every schema of the project at `root`: its own, each workspace package's, and the explicit ones. */
export function discoverPrismaSchemas(root: string, explicit: readonly string[] = []): PrismaSchemaFiles[] {
  const out: PrismaSchemaFiles[] = [];
  const seen = new Set<string>();
  const add = (files: string[], dir?: string, nested?: boolean): void => {
    const fresh = files.filter((f) => !seen.has(f));
    for (const f of fresh) seen.add(f);
    if (fresh.length) out.push({ files: fresh, ...(dir === undefined ? {} : { dir }), ...(nested ? { nested } : {}) });
  };
  for (const p of explicit) add(prismaFilesAt(path.resolve(root, p)));
  const ws = workspaceOf(root);
  const shared = ws ? workspaceSchemas(ws.root, [ws.root, ...ws.packages.map((p) => p.dir)]) : undefined;
  const dirs = [root, ...(ws ? [ws.root, ...ws.packages.map((p) => p.dir)] : [])];
  for (const dir of [...new Set(dirs)]) add(shared?.get(dir) ?? packageSchema(dir), dir);
  // Packages below the root that no workspace lists: a checkout holding several apps side by side, each with its own
  // package.json and schema, which `prisma generate` is run in one at a time.
  for (const dir of nestedPackages(root)) if (!dirs.includes(dir)) add(packageSchema(dir), dir, true);
  return out;
}

/** How deep below the root a package folder is looked for (`apps/tickets/suite/ticketing` is four). */
const NESTED_DEPTH = 5;
const NESTED_RECHECK_MS = 30_000;
const nestedCache = new Map<string, { at: number; run: number | undefined; dirs: string[] }>();

/**
 * The folders below `root` holding a package.json, down to NESTED_DEPTH, outside node_modules, build output and dot
 * folders. Listed once per run, and at most every NESTED_RECHECK_MS otherwise (the ESLint plugin asks per linted
 * file: a folder walk per second of linting cost more than the schemas it finds; a package added in an editor session
 * is seen within the interval).
 */
function nestedPackages(root: string): string[] {
  const hit = nestedCache.get(root);
  const now = Date.now();
  const run = currentRun();
  if (hit && ((run !== undefined && hit.run === run) || now - hit.at < NESTED_RECHECK_MS)) return hit.dirs;
  const dirs: string[] = [];
  let level = [root];
  for (let depth = 1; depth <= NESTED_DEPTH && level.length; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const d of entries) {
        if (!d.isDirectory() || ALWAYS_SKIPPED.has(d.name) || d.name.startsWith('.')) continue;
        const sub = path.join(dir, d.name);
        if (isFile(path.join(sub, 'package.json'))) dirs.push(sub);
        next.push(sub);
      }
    }
    level = next;
  }
  dirs.sort();
  nestedCache.set(root, { at: now, run, dirs });
  return dirs;
}

// The workspace's part of the search, shared by every project root inside it. The ESLint
// plugin has one project per package root (the package a linted file belongs to), and each
// root's look searched every package of the workspace again: on midday (about thirty packages,
// a root each) that was a quarter of the plugin's per-file cost. Looked at again on the same
// schedule as the callers' own answers (once a wall second, once per audit run), so a schema
// added, moved or edited in any package is seen by every root after the interval.
const WORKSPACE_RECHECK_MS = 1000;
const workspaceCache = new Map<string, { at: number; run: number | undefined; byDir: Map<string, string[]> }>();

/** Each workspace folder's schema files (package root, then each package), searched once per interval for all roots. */
function workspaceSchemas(wsRoot: string, dirs: readonly string[]): Map<string, string[]> {
  const hit = workspaceCache.get(wsRoot);
  const now = Date.now();
  const run = currentRun();
  if (hit && ((run !== undefined && hit.run === run) || now - hit.at < WORKSPACE_RECHECK_MS)) return hit.byDir;
  const byDir = new Map<string, string[]>();
  for (const dir of dirs) if (!byDir.has(dir)) byDir.set(dir, packageSchema(dir));
  workspaceCache.set(wsRoot, { at: now, run, byDir });
  return byDir;
}

/** One package's schema, by the first place Prisma would look that exists. */
function packageSchema(dir: string): string[] {
  const candidates: string[] = [];
  for (const name of PRISMA_CONFIGS) {
    const configured = schemaOfPrismaConfig(path.join(dir, name));
    if (configured) candidates.push(path.resolve(dir, configured));
  }
  const manifest = readManifest(dir);
  // The CLI's flag before package.json's key, as Prisma takes them.
  for (const named of schemaFlagsOfScripts(manifest?.scripts)) candidates.push(path.resolve(dir, named));
  const fromManifest = manifest?.prisma?.schema;
  if (typeof fromManifest === 'string') candidates.push(path.resolve(dir, fromManifest));
  candidates.push(
    path.join(dir, 'schema.prisma'),
    path.join(dir, 'prisma', 'schema.prisma'),
    path.join(dir, 'prisma', 'schema'),
  );
  for (const c of candidates) {
    const files = prismaFilesAt(c);
    if (files.length) return files;
  }
  return [];
}

/**
 * The `--schema` paths the package's scripts hand the Prisma CLI (`"prisma:generate": "prisma generate
 * --schema=./db/main.prisma"`), the way a package with its schema in no usual place tells Prisma where it is: the
 * client its `prisma generate` writes is that schema's. Only a `prisma <command>` of the script, up to the next `&&`,
 * `;` or `|`.
 */
export function schemaFlagsOfScripts(scripts: unknown): string[] {
  if (!scripts || typeof scripts !== 'object') return [];
  const out: string[] = [];
  for (const command of Object.values(scripts as Record<string, unknown>)) {
    if (typeof command !== 'string') continue;
    for (const part of command.split(/&&|\|\||[;|]/)) {
      if (!/(^|\s|\/)prisma\s+(generate|migrate|db|validate|format)\b/.test(part)) continue;
      const flag = /\s--schema(?:=|\s+)(["']?)([^\s"']+)\1/.exec(part);
      if (flag && !out.includes(flag[2]!)) out.push(flag[2]!);
    }
  }
  return out;
}

/** A .prisma file, or the .prisma files under a folder (a multi-file schema), sorted. */
function prismaFilesAt(p: string): string[] {
  if (isFile(p)) return p.endsWith('.prisma') ? [p] : [];
  if (!isDir(p)) return [];
  try {
    return (fs.readdirSync(p, { recursive: true, withFileTypes: true }) as fs.Dirent[])
      .filter((d) => d.isFile() && d.name.endsWith('.prisma') && !d.parentPath.includes(`${path.sep}node_modules`))
      .map((d) => path.join(d.parentPath, d.name))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The `schema` path a prisma.config.ts declares as a string literal (`defineConfig({ schema: 'prisma/schema.prisma'
 * })`).
 */
function schemaOfPrismaConfig(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = /(?:^|[{,\s])schema\s*:\s*(['"`])([^'"`$]+)\1/m.exec(text.replace(/\/\/.*$/gm, ''));
  return m?.[2];
}

/** The generators that write a Prisma client (`prisma-client` is Prisma 6.6+'s new one). */
const CLIENT_GENERATORS = new Set(['prisma-client-js', 'prisma-client']);

const outputsCache = new Map<string, { at: number; run: number | undefined; outputs: string[] }>();
const RECHECK_MS = 1000;

/**
 * The folders the schemas' generators write their clients to (`output = "../generated/client"`, relative to the schema
 * file).
 */
export function prismaGeneratorOutputs(root: string): string[] {
  const hit = outputsCache.get(root);
  const now = Date.now();
  // Within one audit, once (a cold audit of a workspace rediscovered every package's schema
  // once a second of wall time: 3 % of its CPU on midday, more the more loaded the machine).
  const run = currentRun();
  if (hit && ((run !== undefined && hit.run === run) || now - hit.at < RECHECK_MS)) return hit.outputs;
  const outputs: string[] = [];
  for (const schema of discoverPrismaSchemas(root)) {
    for (const file of schema.files) {
      let text = '';
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const block of text.matchAll(/^\s*generator\s+\w+\s*\{([^}]*)\}/gm)) {
        const body = block[1]!.replace(/\/\/.*$/gm, '');
        // Only a client generator writes a client there; others (prisma-generator-nestjs-dto with `output = "../src"`)
        // write into the app's own sources, which must stay the app's.
        const provider = /^\s*provider\s*=\s*"([^"]+)"/m.exec(body)?.[1];
        if (provider && !CLIENT_GENERATORS.has(provider)) continue;
        const output = /^\s*output\s*=\s*"([^"]+)"/m.exec(body);
        if (output) outputs.push(path.resolve(path.dirname(file), output[1]!));
      }
    }
  }
  outputsCache.set(root, { at: now, run, outputs });
  return outputs;
}
