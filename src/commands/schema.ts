import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { auditRoots } from '../config/roots.js';
import { sourceModel } from '../schema/load.js';
import { serializeSnapshot, type Snapshot, toSnapshot } from '../schema/snapshot.js';
import type { RlsModel } from '../schema/types.js';
import { plural } from '../formatters/markdown.js';

// `rls-guard schema`: shows the RLS model, writes it as a snapshot the ESLint plugin reads
// without parsing anything, or checks that a committed snapshot still matches its source.

export interface SchemaCommandOptions {
  path: string;
  from?: 'replay' | 'static' | 'database';
  databaseUrl?: string;
  config?: string;
  write?: string | boolean;
  check?: string | boolean;
  format: 'text' | 'json';
}

export function schemaCommand(opts: SchemaCommandOptions, out: (text: string) => void): number {
  const loaded = loadConfig({ start: path.resolve(opts.path), ...(opts.config ? { configFile: opts.config } : {}) });
  // The same root and config paths as `audit` (a config kept outside the tree describes it).
  const { root, config } = auditRoots(loaded, path.resolve(opts.path), !!opts.config);
  const source = opts.from ?? (opts.databaseUrl || config.databaseUrl ? 'database' : 'replay');
  const { model, migrationsHash } = sourceModel(root, config, {
    source,
    ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
  });
  const text = serializeSnapshot(toSnapshot(model, migrationsHash));
  const file = (v: string | boolean | undefined): string =>
    path.resolve(root, typeof v === 'string' ? v : (config.schemaSnapshot ?? 'rls-guard.schema.json'));
  if (opts.check) {
    const target = file(opts.check);
    const rel = path.relative(process.cwd(), target) || target;
    let current: string;
    try {
      current = fs.readFileSync(target, 'utf8');
    } catch {
      out(`${rel}: no snapshot to check; write one with \`rls-guard schema --write\`\n`);
      return 1;
    }
    if (current === text) {
      out(`${rel} matches the ${source === 'database' ? 'database' : 'migrations'}.\n`);
      return 0;
    }
    out(
      `${rel} is stale: it no longer matches the ${source === 'database' ? 'database' : 'migrations'}.\n` +
        describeDrift(JSON.parse(current) as Snapshot, JSON.parse(text) as Snapshot) +
        'Run `rls-guard schema --write` and commit the result.\n',
    );
    return 1;
  }
  if (opts.write) {
    const target = file(opts.write);
    fs.writeFileSync(target, text);
    out(
      `wrote ${path.relative(process.cwd(), target) || target}: ${plural(model.tables.size, 'table')}, ` +
      `${[...model.tables.values()].filter((t) => t.rlsEnabled).length} gated, ` +
      `${plural(model.functions.size, 'function')}\n`,
    );
    return 0;
  }
  out(opts.format === 'json' ? text : describeModel(model));
  return 0;
}

function describeDrift(before: Snapshot, after: Snapshot): string {
  const lines: string[] = [];
  const diff = <T extends { name: string }>(kind: string, a: T[], b: T[]): void => {
    const old = new Map(a.map((x) => [x.name, JSON.stringify(x)]));
    const now = new Map(b.map((x) => [x.name, JSON.stringify(x)]));
    for (const [name, v] of now) {
      if (!old.has(name)) lines.push(`  + ${kind} ${name}`);
      else if (old.get(name) !== v) lines.push(`  ~ ${kind} ${name}`);
    }
    for (const name of old.keys()) if (!now.has(name)) lines.push(`  - ${kind} ${name}`);
  };
  diff('table', before.tables ?? [], after.tables);
  diff('function', before.functions ?? [], after.functions);
  if (before.migrationsHash !== after.migrationsHash)
    lines.push(`  migrations hash ${before.migrationsHash ?? 'none'} → ${after.migrationsHash ?? 'none'}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function describeModel(model: RlsModel): string {
  const lines: string[] = [];
  for (const s of model.sources ?? [])
    lines.push(`source: ${s.kind} ${s.ref} (${s.method})${s.facts ? ` for ${s.facts.join(', ')}` : ''}`);
  const gated = [...model.tables.values()].filter((t) => t.rlsEnabled).length;
  lines.push('', gated ? 'tables with row level security:' : 'tables with row level security: none');
  for (const t of [...model.tables.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!t.rlsEnabled) continue;
    const policies = t.policies
      .map((p) => `${p.name} [${p.command}${p.settings.length ? `; reads ${p.settings.join(', ')}` : ''}]`)
      .join(', ');
    const owner = t.owner ? `, owner ${t.owner}` : '';
    const enabledAt = t.enabledAt ? `, enabled at ${t.enabledAt.file}:${t.enabledAt.line}` : '';
    lines.push(
      `  ${t.name}${t.forced ? ' (forced)' : ''}${owner}${enabledAt}: ` +
        (policies || 'no policies (denies everything but the owner)'),
    );
  }
  const definers = [...model.functions.values()]
    .filter((f) => f.securityDefiner)
    .sort((a, b) => a.name.localeCompare(b.name));
  // No heading over nothing: say so in one line instead.
  lines.push('', definers.length ? 'SECURITY DEFINER functions:' : 'SECURITY DEFINER functions: none');
  for (const f of definers)
    lines.push(`  ${f.name}()${f.searchPathPinned ? '' : ' (search_path not pinned)'} at ${f.at.file}:${f.at.line}`);
  const writers = [...model.functions.values()].filter((f) => !f.securityDefiner && (f.writes?.length ?? 0) > 0);
  if (writers.length) {
    lines.push('', 'SECURITY INVOKER functions that write:');
    for (const f of writers) lines.push(`  ${f.name}() writes ${f.writes!.map((w) => w.table).join(', ')}`);
  }
  if (model.diagnostics.length) {
    lines.push('', 'diagnostics:');
    for (const d of model.diagnostics) lines.push(`  ${d.file}:${d.line}: ${d.message}`);
  }
  return `${lines.join('\n')}\n`;
}
