import fs from 'node:fs';
import path from 'node:path';

// Prisma's schema language, as far as table names go: `model Name { … @@map("t") @@schema("s") }`.
// Read from prisma/schema.prisma, schema.prisma, a prisma/schema/ folder of .prisma files,
// or the path package.json's "prisma.schema" names.

export interface PrismaModel {
  name: string;
  table: string;
  schema: string | null;
}

const cache = new Map<string, { stamp: string; models: Map<string, PrismaModel> | null }>();

function schemaFiles(root: string): string[] {
  const candidates: string[] = [];
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { prisma?: { schema?: string } };
    if (pkg.prisma?.schema) candidates.push(path.resolve(root, pkg.prisma.schema));
  } catch {
    // no package.json: the conventional places below
  }
  candidates.push(path.join(root, 'prisma', 'schema.prisma'), path.join(root, 'schema.prisma'), path.join(root, 'prisma', 'schema'));
  for (const c of candidates) {
    try {
      const st = fs.statSync(c);
      if (st.isFile()) return [c];
      if (st.isDirectory()) return fs.readdirSync(c).filter((f) => f.endsWith('.prisma')).sort().map((f) => path.join(c, f));
    } catch {
      // not there
    }
  }
  return [];
}

// Asked for every `x.y.create()`-shaped call: look at the disk at most once a second per root.
const RECHECK_MS = 1000;
const checked = new Map<string, { at: number; models: Map<string, PrismaModel> | null }>();

/** Models by delegate name (`auditLog` for `model AuditLog`), or null when the project has no schema. */
export function prismaModels(root: string): Map<string, PrismaModel> | null {
  const recent = checked.get(root);
  const now = Date.now();
  if (recent && now - recent.at < RECHECK_MS) return recent.models;
  const models = readModels(root);
  checked.set(root, { at: now, models });
  return models;
}

function readModels(root: string): Map<string, PrismaModel> | null {
  const files = schemaFiles(root);
  const stamp = files.map((f) => `${f}:${fs.statSync(f).mtimeMs}`).join('\n');
  const hit = cache.get(root);
  if (hit && hit.stamp === stamp) return hit.models;
  const models = files.length ? new Map<string, PrismaModel>() : null;
  for (const f of files) for (const m of parseModels(fs.readFileSync(f, 'utf8'))) models!.set(m.name.charAt(0).toLowerCase() + m.name.slice(1), m);
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
