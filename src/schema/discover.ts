import path from 'node:path';
import { walkFiles } from '../files/walk.js';
import type { SchemaDiagnostic } from './types.js';

// Migration files in the order they are applied: a natural sort of their paths, segment by
// segment, so 2_x.sql < 10_x.sql and V2__a.sql < V10__a.sql.

export function discoverMigrations(root: string, options: { migrations?: string[]; ignore?: string[] } = {}): { files: string[]; diagnostics: SchemaDiagnostic[] } {
  const roots = options.migrations?.length ? options.migrations.map((m) => path.resolve(root, m)) : [root];
  const walked = walkFiles(roots, { extensions: ['.sql'], ignore: options.ignore ?? [] }, root);
  const rel = (f: string): string => path.relative(root, f).split(path.sep).join('/');
  const files = walked.files.sort((a, b) => naturalCompare(rel(a), rel(b)));
  return { files, diagnostics: walked.diagnostics.map((d) => ({ file: rel(d.file), line: 1, message: d.message })) };
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
