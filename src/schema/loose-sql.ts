import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_EXTENSIONS } from '../files/source.js';
import { isFile, walkFiles } from '../files/walk.js';
import { toPosixRelative } from '../files/paths.js';
import { buildModel } from './model.js';
import type { SchemaDiagnostic } from './types.js';

// SQL files a Prisma project keeps beside its migrations. `prisma migrate` applies only `<migrations>/<dir>/
// migration.sql` of a folder that holds `migration_lock.toml`; a `.sql` file elsewhere whose path does not say it is a
// migration (`prisma/rls.sql`, `scripts/db/sql/rls_setup.sql`) is applied only if something runs it. What runs it
// names it: a package.json script (`psql -f prisma/rls.sql`), a CI workflow, a shell script, a Makefile, a Dockerfile,
// or the code of a setup script that reads it (`readFileSync('…/setup-rls.sql')`). A file that nothing in the
// repository names is not taken as a migration, said in a diagnostic; and since it might still be applied by hand
// (fail closed), one that enables row level security or creates a policy makes the audit incomplete, naming the
// tables it would gate and how to take it.

/** Names of the files that may run a SQL file: they are searched for its name. */
const RUNNERS = [...SOURCE_EXTENSIONS, 'package.json', '.yml', '.yaml', '.sh', '.bash', 'Makefile', 'Dockerfile',
  '.dockerfile', '.toml'];

/**
 * A Prisma migration: `<folder>/<dir>/migration.sql` where `<folder>/migration_lock.toml` exists, or the folder stands
 * beside the `schema.prisma` whose migrations it holds (`prisma/schema.prisma`, `prisma/migrations`).
 */
function prismaFolder(file: string): string | undefined {
  if (path.basename(file) !== 'migration.sql') return undefined;
  const folder = path.dirname(path.dirname(file));
  const prisma = isFile(path.join(folder, 'migration_lock.toml')) ||
    isFile(path.join(path.dirname(folder), 'schema.prisma'));
  return prisma ? folder : undefined;
}

/**
 * The SQL files of a Prisma project that nothing runs: neither under a Prisma migrations folder nor on a path that
 * says "migration", nor named by any file that may run them. Empty where no Prisma migrations folder was found.
 */
export function unrunSql(
  root: string,
  files: readonly string[],
  options: { ignore?: readonly string[] },
): { file: string; diagnostic: SchemaDiagnostic; gated: boolean; gates: boolean }[] {
  const sql = files.filter((f) => f.endsWith('.sql'));
  const folders = [...new Set(sql.flatMap((f) => prismaFolder(f) ?? []))];
  if (folders.length === 0) return [];
  const rel = (f: string): string => toPosixRelative(root, f);
  const loose = sql.filter(
    (f) => !folders.some((d) => f.startsWith(d + path.sep)) && !/migrat/i.test(rel(f)),
  );
  if (loose.length === 0) return [];
  const { named, rlsScript } = namedByRunners(root, loose, options.ignore ?? []);
  const prisma = folders.map(rel).sort().join(', ');
  return loose
    .filter((f) => !named.has(f))
    .map((f) => {
      const gates = gatedBy(rel(f), f);
      const on = `${gates.slice(0, 6).join(', ')}${gates.length > 6 ? ` and ${gates.length - 6} more` : ''}`;
      // A script the package.json runs enables RLS outside the migrations (its statements are not read): the tables
      // this file gates may be gated by it, so they stay judged as gated (schema/left-out.ts), never ungated unseen.
      const what = !gates.length
        ? ''
        : rlsScript
          ? `; it enables row level security or creates policies on ${on}, which are still judged as gated, since ` +
            `${rlsScript} enables row level security outside the migrations`
          : `; it enables row level security or creates policies on ${on}, which are judged as not gated unless it ` +
            'is applied';
      return {
        file: f,
        gated: gates.length > 0 && !!rlsScript,
        gates: gates.length > 0,
        diagnostic: {
          file: rel(f),
          line: 1,
          message:
            `not taken as a migration: ${rel(f)} is outside the Prisma migrations folder (${prisma}), its path does ` +
            'not say it is a migration, and no package.json script, CI workflow, shell script, Makefile, Dockerfile ' +
            `or code in the repository names it${what}. If it is applied to the database, list it under ` +
            '"migrations" in the config (with the Prisma folder); if it is not, add it to "ignore"',
          ...(gates.length && !rlsScript ? { incomplete: true } : {}),
        },
      };
    });
}

/**
 * The loose files whose file name some runner's text names; and a code file a package.json script runs (`tsx
 * scripts/init-db.ts`) whose text enables row level security, named with its script, if any.
 */
function namedByRunners(
  root: string,
  loose: readonly string[],
  ignore: readonly string[],
): { named: Set<string>; rlsScript?: string } {
  const runners = walkFiles([root], { extensions: RUNNERS, ignore }, root).files;
  const rlsScript = runners
    .filter((r) => path.basename(r) === 'package.json')
    .flatMap((r) => scriptsRun(r))
    .find((x) => /ROW\s+LEVEL\s+SECURITY/i.test(readText(x.file) ?? ''));
  // The file name as a whole word of a path: `rls.sql` is not named by `setup-rls.sql`.
  const names = loose.map((f) => ({ f, re: new RegExp(`(^|[^\\w.-])${escape(path.basename(f))}`) }));
  const named = new Set<string>();
  for (const r of runners) {
    if (named.size === loose.length) break;
    const text = readText(r);
    if (text === undefined) continue;
    for (const { f, re } of names) if (!named.has(f) && re.test(text)) named.add(f);
  }
  const at = rlsScript && `${toPosixRelative(root, rlsScript.file)} (package.json script "${rlsScript.script}")`;
  return { named, ...(at ? { rlsScript: at } : {}) };
}

/** The code files a package.json's scripts run (`tsx scripts/init-db.ts`, `node x.mjs`), with the script's name. */
function scriptsRun(packageJson: string): { file: string; script: string }[] {
  let scripts: unknown;
  try {
    scripts = (JSON.parse(readText(packageJson) ?? '{}') as { scripts?: unknown }).scripts;
  } catch {
    return [];
  }
  if (!scripts || typeof scripts !== 'object') return [];
  const out: { file: string; script: string }[] = [];
  for (const [script, command] of Object.entries(scripts as Record<string, unknown>)) {
    if (typeof command !== 'string') continue;
    for (const word of command.split(/[\s;&|]+/))
      if (/\.[cm]?[jt]sx?$/.test(word)) out.push({ file: path.resolve(path.dirname(packageJson), word), script });
  }
  return out;
}

/** A file's text, up to 1 MiB (a larger one is no script to read); undefined when it cannot be read. */
export function readText(file: string): string | undefined {
  try {
    return fs.statSync(file).size > 1 << 20 ? undefined : fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The tables a file enables row level security on or creates a policy on, read with the Postgres parser. */
function gatedBy(relPath: string, file: string): string[] {
  const text = readText(file);
  if (text === undefined) return [];
  const model = buildModel([{ path: relPath, text }]);
  const gated = [...model.tables.values()].filter((t) => t.rlsEnabled || t.policies.length).map((t) => t.name).sort();
  // A part the parser could not read may gate a table unseen: said as such (fail closed).
  const unread = model.diagnostics.some((d) => d.incomplete);
  return unread ? [...gated, 'tables in parts the parser could not read'] : gated;
}

/** `text` matched literally in a regular expression. */
export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
