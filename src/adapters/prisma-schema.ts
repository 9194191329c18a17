import fs from 'node:fs';
import path from 'node:path';
import { discoverPrismaSchemas } from '../resolve/prisma-discover.js';
import { currentRun } from '../files/walk.js';

// Prisma's schema language, as far as table names go: `model Name { … @@map("t") @@schema("s") }`.
// Read from every schema of the project and its workspace packages (prisma-discover.ts).
// Two schemas mapping one model name to different tables make that model ambiguous.

export interface PrismaModel {
  name: string;
  table: string;
  schema: string | null;
  /** Two schemas of the project map this model to different tables. */
  ambiguous?: boolean;
  /** Each package's own mapping of the model, by the package's folder (workspace packages and nested ones). */
  packages?: Record<string, { table: string; schema: string | null }>;
  /**
   * Only packages below the root that no workspace lists declare it (table, schema and ambiguous are theirs): the
   * project's own schemas (the root's, the workspace's, the config's) come first and decide alone where they map it.
   */
  nestedOnly?: boolean;
}

const cache = new Map<string, { stamp: string; models: Map<string, PrismaModel> | null }>();

/** Explicit schema paths per audit root (the `prismaSchema` config key), set by the front ends. */
const explicitSchemas = new Map<string, readonly string[]>();

export function setPrismaSchemaPaths(root: string, paths: readonly string[] | undefined): void {
  if (paths?.length) explicitSchemas.set(root, paths);
  else explicitSchemas.delete(root);
}

function schemaFiles(root: string): string[] {
  return discoverPrismaSchemas(root, explicitSchemas.get(root)).flatMap((s) => s.files);
}

/**
 * The table a delegate (`auditLog` of `prisma.auditLog.create`) in `file` writes, or why it cannot be told. The package
 * holding `file` maps it as its own schema does, where that schema declares it (its generated client is that schema's);
 * elsewhere, the one mapping the schemas agree on.
 */
export function prismaModelFor(
  models: Map<string, PrismaModel> | null,
  delegate: string,
  file: string,
): PrismaModel | { unresolved: string } {
  const model = models?.get(delegate);
  if (!model) {
    return {
      unresolved: models
        ? `schema.prisma has no model for \`${delegate}\``
        : 'no schema.prisma was found to map the model to its table',
    };
  }
  let own: string | undefined;
  for (const dir of Object.keys(model.packages ?? {}))
    if (file.startsWith(dir + path.sep) && (own === undefined || dir.length > own.length)) own = dir;
  if (own !== undefined) return { ...model, ...model.packages![own]!, ambiguous: false };
  if (!model.ambiguous) return model;
  return { unresolved: `two Prisma schemas of the project map \`${delegate}\` to different tables` };
}

// Asked for every `x.y.create()`-shaped call: look at the disk at most once a second per root,
// and once per audit run (prisma-discover.ts says why).
const RECHECK_MS = 1000;
const checked = new Map<string, { at: number; run: number | undefined; models: Map<string, PrismaModel> | null }>();

/**
 * Models by delegate name (`auditLog` for `model AuditLog`), or null when the project has no schema. `maxAgeMs`: how
 * old an answer may be (the ESLint plugin's index passes Infinity between its own looks at the project, which follow a
 * CPU-time schedule: once a wall second per linted file was a search of every workspace package per second of a run).
 */
export function prismaModels(root: string, maxAgeMs = RECHECK_MS): Map<string, PrismaModel> | null {
  const recent = checked.get(root);
  const now = Date.now();
  const run = currentRun();
  if (recent && ((run !== undefined && recent.run === run) || now - recent.at < maxAgeMs)) return recent.models;
  const models = readModels(root);
  checked.set(root, { at: now, run, models });
  return models;
}

function readModels(root: string): Map<string, PrismaModel> | null {
  const schemas = discoverPrismaSchemas(root, explicitSchemas.get(root));
  const files = schemas.flatMap((s) => s.files);
  const stamp = files.map((f) => `${f}:${fs.statSync(f).mtimeMs}`).join('\n');
  const hit = cache.get(root);
  if (hit && hit.stamp === stamp) return hit.models;
  const models = files.length ? new Map<string, PrismaModel>() : null;
  // The project's own schemas first, then the nested packages' (a model they alone map is marked nestedOnly).
  for (const schema of [...schemas.filter((s) => !s.nested), ...schemas.filter((s) => s.nested)]) {
    for (const f of schema.files) {
      for (const m of parseModels(fs.readFileSync(f, 'utf8'))) {
        const key = m.name.charAt(0).toLowerCase() + m.name.slice(1);
        let known = models!.get(key);
        if (!known) models!.set(key, (known = schema.nested ? { ...m, nestedOnly: true } : m));
        else if (!!schema.nested === !!known.nestedOnly) {
          const same = known.table === m.table && known.schema === m.schema;
          if (!same && !known.ambiguous) models!.set(key, (known = { ...known, ambiguous: true }));
        }
        if (schema.dir !== undefined) {
          const packages = { ...known.packages, [schema.dir]: { table: m.table, schema: m.schema } };
          models!.set(key, (known = { ...known, packages }));
        }
      }
    }
  }
  cache.set(root, { stamp, models });
  return models;
}

/** Model blocks and their @@map / @@schema attributes; comments and strings are skipped. */
export function parseModels(text: string): PrismaModel[] {
  const out: PrismaModel[] = [];
  let current: PrismaModel | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!current) {
      const m = /^model\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{/.exec(line);
      if (m) current = { name: m[1]!, table: m[1]!, schema: null };
      continue;
    }
    if (line.startsWith('}')) {
      out.push(current);
      current = null;
      continue;
    }
    const attr = /^@@(map|schema)\(\s*(?:name:\s*)?"([^"]*)"\s*\)/.exec(line);
    if (attr?.[1] === 'map') current.table = attr[2]!;
    else if (attr?.[1] === 'schema') current.schema = attr[2]!;
  }
  return out;
}

/**
 * The environment variable the project's Prisma datasource reads its URL from (`url = env("DATABASE_URL")`): what a
 * `new PrismaClient()` given no URL of its own logs in with. undefined when no schema says, or schemas name
 * different variables (which one a client uses is then its generator's, not read here).
 */
export function prismaDatasourceVariable(root: string): string | undefined {
  const names = new Set<string>();
  for (const f of schemaFiles(root)) {
    let inSource = false;
    for (const raw of fs.readFileSync(f, 'utf8').split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      if (!inSource) inSource = /^datasource\s+[A-Za-z_][A-Za-z0-9_]*\s*\{/.test(line);
      else if (line.startsWith('}')) inSource = false;
      else {
        const m = /^url\s*=\s*env\(\s*"([^"]+)"\s*\)/.exec(line);
        if (m) names.add(m[1]!);
      }
    }
  }
  return names.size === 1 ? [...names][0] : undefined;
}
