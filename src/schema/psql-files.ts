import path from 'node:path';
import { readSource } from '../files/source.js';
import { toPosixRelative } from '../files/paths.js';
import { type IncludeReader, readPsqlScript } from '../sql/psql-script.js';
import type { MigrationFile } from './model.js';
import type { SchemaDiagnostic } from './types.js';

// A migration `.sql` file read as psql reads it (sql/psql-script.ts), with its `\i` / `\ir` includes followed inside
// the audited tree: the included file's statements run at the include's line, in the including file's session.

/** The migration files a `.sql` file runs as (its own parts and its includes'), and psql's notes on it. */
export function psqlMigration(root: string, file: string, text: string, maxBytes?: number): {
  files: MigrationFile[];
  notes: SchemaDiagnostic[];
} {
  const rel = toPosixRelative(root, file);
  const include: IncludeReader = (target, relative, from) => {
    const including = path.dirname(path.resolve(root, from));
    // `\ir` is relative to the including file; `\i` to psql's working directory, unknown: the including file's folder,
    // then the root, are where scripts are run from.
    const tries = path.isAbsolute(target)
      ? []
      : relative
        ? [path.resolve(including, target)]
        : [path.resolve(including, target), path.resolve(root, target)];
    for (const candidate of tries) {
      const inside = path.relative(root, candidate);
      if (inside.startsWith('..') || path.isAbsolute(inside)) continue;
      const read = readSource(candidate, maxBytes);
      if (read.ok) return { path: toPosixRelative(root, candidate), text: read.text };
    }
    const outside = path.isAbsolute(target);
    return { reason: outside ? 'an absolute path, outside the audited tree' : 'no such file in the tree' };
  };
  const reading = readPsqlScript(rel, text, include);
  return {
    // The included parts run in the including file's psql session (its settings, its temporary tables).
    files: reading.parts.map((p) => (p.path === rel ? p : { ...p, session: rel })),
    notes: reading.notes,
  };
}
