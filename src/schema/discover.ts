import path from 'node:path';
import { SOURCE_EXTENSIONS } from '../files/source.js';
import { isFile, walkFiles } from '../files/walk.js';
import { isCodeMigrationPath } from './code-migrations.js';
import { migrationsByShape } from './migration-shape.js';
import { composeInitScripts } from './init-scripts.js';
import { unrunSql } from './loose-sql.js';
import { queryFiles } from './query-files.js';
import type { SchemaDiagnostic } from './types.js';
import { runFiles, type SetupShape } from './synchronize.js';
import { toPosixRelative } from '../files/paths.js';
import type { InputStore } from '../files/input-store.js';

// Migration files in the order they are applied: a database image's init scripts first (they
// run before anything connects), then the configured folders in the order the config lists
// them, each in a natural sort of its paths, segment by segment, so 2_x.sql < 10_x.sql and
// V2__a.sql < V10__a.sql. A start-up script of constant statements (migration-shape.ts) runs when the app starts,
// after the deployment's migrations: unconfigured discovery replays those last.

export interface Discovered {
  files: string[];
  diagnostics: SchemaDiagnostic[];
  /**
   * Unconfigured discovery only: folders left out because their path says they are archived or documentation
   * (`leftOutFolder`), each with the migration files found under it, in the order they would have been applied.
   */
  leftOut: { folder: string; files: string[]; unrun?: true; ungated?: true }[];
  /** Modules whose schema TypeORM's synchronize makes (absolute path → shape): their entities' tables are created. */
  setup: Map<string, SetupShape>;
}

export function discoverMigrations(
  root: string,
  options: { migrations?: string[]; ignore?: string[]; inputs?: InputStore } = {},
): Discovered {
  const configured = !!options.migrations?.length;
  const roots = configured ? options.migrations!.map((m) => path.resolve(root, m)) : [root];
  const walked = walkFiles(roots, { extensions: ['.sql', ...SOURCE_EXTENSIONS], ignore: options.ignore ?? [] }, root);
  const rel = (f: string): string => toPosixRelative(root, f);
  const byShape = configured ? undefined : migrationsByShape(root, options.ignore ?? [], options.inputs);
  const shaped = new Set(byShape?.modules);
  const startup = new Set(byShape?.startup);
  const last = (f: string): number => (startup.has(f) ? 1 : 0);
  const found = walked.files
    .filter((f) =>
      f.endsWith('.sql')
        ? !isDownMigration(rel(f))
        : isCodeMigrationPath(rel(f)) || shaped.has(f) || startup.has(f) || (configured && !/\.d\.[cm]?ts$/.test(f)),
    )
    .sort((a, b) => last(a) - last(b) || rootIndex(roots, a) - rootIndex(roots, b) || naturalCompare(rel(a), rel(b)));
  const init = composeInitScripts(root, options.inputs);
  // What the config names is applied, whatever its path says; a compose file's init scripts too.
  const leftOut = new Map<string, string[]>();
  const applied = found.filter((f) => {
    if (configured || init.includes(f)) return true;
    const folder = leftOutFolder(rel(f));
    if (folder === null) return true;
    leftOut.set(folder, [...(leftOut.get(folder) ?? []), f]);
    return false;
  });
  // SQL files of a Prisma project that nothing runs are not migrations (loose-sql.ts): said, never silently.
  const unrun = configured ? [] : unrunSql(root, applied.filter((f) => !init.includes(f)), options);
  // Query files the code loads beside it (`createUser.sql` of `INSERT … VALUES (:email)`): not migrations either.
  const queries = configured ? [] : queryFiles(root, applied.filter((f) => !init.includes(f)), options);
  const notRun = new Set([...unrun, ...queries].map((x) => x.file));
  // A synchronized schema comes first: the SQL files a setup script runs before synchronize(), the entities' tables
  // (at the script), then the files it runs after, in its order; they are not replayed again in their path order.
  const setup = new Map((byShape?.setup ?? []).map((x) => [x.file, x.shape]));
  const diagnostics = walked.diagnostics.map(
    (d): SchemaDiagnostic => ({ file: rel(d.file), line: 1, message: d.message }),
  );
  diagnostics.push(...unrun.map((x) => x.diagnostic), ...queries.map((x) => x.diagnostic));
  const grouped: string[] = [];
  for (const [script, shape] of [...setup].sort((a, b) => naturalCompare(rel(a[0]), rel(b[0])))) {
    for (const u of shape.unread) diagnostics.push({ file: rel(script), ...u, incomplete: true });
    const run = (list: string[]): string[] =>
      runFiles(script, list).filter((f) => {
        if (isFile(f)) return true;
        diagnostics.push({
          file: rel(script),
          line: shape.line,
          message: `SQL file not found: this script reads and runs ${rel(f)}, which does not exist`,
          incomplete: true,
        });
        return false;
      });
    grouped.push(...run(shape.before), script, ...run(shape.after));
  }
  const rest = applied.filter((f) => !init.includes(f) && !grouped.includes(f) && !notRun.has(f));
  const files = [...new Set([...init, ...grouped, ...rest])];
  return {
    setup,
    files,
    diagnostics,
    leftOut: [
      ...[...leftOut].map(([folder, list]) => ({ folder, files: list })),
      // A setup script nothing runs whose tables a script may gate otherwise (loose-sql.ts): judged as gated.
      ...unrun.filter((x) => x.gated).map((x) => ({ folder: rel(x.file), files: [x.file], unrun: true as const })),
      // One whose tables nothing else gates is judged not gated: read only so each write to them names it.
      ...unrun.filter((x) => x.gates && !x.gated)
        .map((x) => ({ folder: rel(x.file), files: [x.file], unrun: true as const, ungated: true as const })),
    ],
  };
}

/**
 * Folder names that say the files under them are kept, not applied: an archive (`archive`, `archived`, `archives`), a
 * copy kept for safety (`backup`, `backups`), something superseded (`deprecated`, `obsolete`, `old`), documentation
 * (`doc`, `docs`, `documentation`: SQL there illustrates, a deployment does not run it). Matched on a whole segment,
 * case-insensitively, after a leading `_` or `.` (`_archive`), alone or followed by a separator and more
 * (`archive_20251102`, `old-sql`), and as the suffix of a migrations folder (`migrations.archive`,
 * `migrations-backup`, `migrations_old`). Never inside a word: `20241113_workspace_archive` (a Prisma migration
 * that archives workspaces) and `docker` are not matched. `legacy` is not on the list: legacy code is often code
 * still deployed.
 */
export const LEFT_OUT_NAMES: readonly string[] = [
  'archive',
  'archived',
  'archives',
  'backup',
  'backups',
  'deprecated',
  'obsolete',
  'old',
  'doc',
  'docs',
  'documentation',
];

const LEFT_OUT = new Set(LEFT_OUT_NAMES);

/** Whether one folder name says it holds archived or documentation files. */
export function isLeftOutName(segment: string): boolean {
  const name = segment.toLowerCase().replace(/^[_.]+/, '');
  const suffix = /^migrations?[._-](.+)$/.exec(name)?.[1];
  const head = (suffix ?? name).split(/[._-]/)[0]!;
  return LEFT_OUT.has(head);
}

/**
 * The folder (relative, up to the first name `isLeftOutName` matches) that leaves a file out of unconfigured
 * discovery, or null when the file is applied.
 */
export function leftOutFolder(relPath: string): string | null {
  const segments = relPath.split('/');
  const at = segments.slice(0, -1).findIndex(isLeftOutName);
  return at < 0 ? null : segments.slice(0, at + 1).join('/');
}

/** Which configured folder (or file) a migration comes from: the config's order is the replay's. */
function rootIndex(roots: string[], file: string): number {
  const i = roots.findIndex((r) => file === r || file.startsWith(r + path.sep));
  return i < 0 ? roots.length : i;
}

/**
 * golang-migrate's `0001_x.down.sql`, diesel's `…/down.sql`: undoing, not the final state. So are the scripts kept
 * beside the migrations to undo one by hand (memex-ai's `drizzle/reverts/0093_x.revert.sql`, `.rollback.sql`,
 * `.undo.sql`), and those whose name ends with the word (Community-Canvas's `026_rollback.sql` and
 * `025_fleet_split_rollback.sql` beside `025_fleet_split_corrected.sql`, salina's `0012_x_rollback.sql` beside
 * `0012_x.sql`): replayed after the migrations, they put back what those changed (a `FORCE` a later migration removed,
 * a table a later migration renamed). Only as the last word: `0004_revert_extra.sql` is a forward migration that
 * undoes something, applied.
 */
function isDownMigration(relPath: string): boolean {
  const base = path.posix.basename(relPath);
  return /(^|[._-])down\.sql$/i.test(base) || /(^|[._-])(revert|rollback|undo)\.sql$/i.test(base);
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

export function naturalCompare(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const c = collator.compare(as[i]!, bs[i]!);
    if (c !== 0) return c;
  }
  return as.length - bs.length;
}
