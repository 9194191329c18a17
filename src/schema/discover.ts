import path from 'node:path';
import { SOURCE_EXTENSIONS } from '../files/source.js';
import { walkFiles } from '../files/walk.js';
import { isCodeMigrationPath } from './code-migrations.js';
import { composeInitScripts } from './init-scripts.js';
import type { SchemaDiagnostic } from './types.js';
import { toPosixRelative } from '../files/paths.js';
import type { InputStore } from '../files/input-store.js';

// Migration files in the order they are applied: a database image's init scripts first (they
// run before anything connects), then the configured folders in the order the config lists
// them, each in a natural sort of its paths, segment by segment, so 2_x.sql < 10_x.sql and
// V2__a.sql < V10__a.sql.

export function discoverMigrations(
  root: string,
  options: { migrations?: string[]; ignore?: string[]; inputs?: InputStore } = {},
): { files: string[]; diagnostics: SchemaDiagnostic[] } {
  const configured = !!options.migrations?.length;
  const roots = configured ? options.migrations!.map((m) => path.resolve(root, m)) : [root];
  const walked = walkFiles(roots, { extensions: ['.sql', ...SOURCE_EXTENSIONS], ignore: options.ignore ?? [] }, root);
  const rel = (f: string): string => toPosixRelative(root, f);
  const found = walked.files
    .filter((f) =>
      f.endsWith('.sql')
        ? !isDownMigration(rel(f))
        : isCodeMigrationPath(rel(f)) || (configured && !/\.d\.[cm]?ts$/.test(f)),
    )
    .sort((a, b) => rootIndex(roots, a) - rootIndex(roots, b) || naturalCompare(rel(a), rel(b)));
  const init = composeInitScripts(root, options.inputs);
  const files = [...init, ...found.filter((f) => !init.includes(f))];
  return { files, diagnostics: walked.diagnostics.map((d) => ({ file: rel(d.file), line: 1, message: d.message })) };
}

/** Which configured folder (or file) a migration comes from: the config's order is the replay's. */
function rootIndex(roots: string[], file: string): number {
  const i = roots.findIndex((r) => file === r || file.startsWith(r + path.sep));
  return i < 0 ? roots.length : i;
}

/** golang-migrate's `0001_x.down.sql`, diesel's `…/down.sql`: undoing, not the final state. */
function isDownMigration(relPath: string): boolean {
  return /(^|[._-])down\.sql$/i.test(path.posix.basename(relPath));
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
