import type { IncompleteItem } from '../report/types.js';
import type { RlsModel } from './types.js';

// What the RLS model could not see, as gaps of the audit (report/incomplete.ts makes them findings): shared by the
// walker, which reports every gap, and the ESLint plugin, which repeats the whole model's gap where it matters.

/** What the RLS model could not see: migration input read in part, no migrations, no gated tables. */
export function modelGaps(model: RlsModel): IncompleteItem[] {
  const fromDatabase = model.sources?.some((s) => s.method === 'database') ?? false;
  const gaps: IncompleteItem[] = model.diagnostics
    .filter((d) => d.incomplete)
    .map((d) => ({ file: d.file, line: d.line, kind: fromDatabase ? 'database' : 'migration', reason: d.message }));
  const whole = wholeModelGap(model);
  if (whole) gaps.push(whole);
  return gaps;
}

/**
 * The gap of the whole model: no migrations found, or none gates a table. Every write is then unchecked, so the ESLint
 * plugin repeats it on each linted file that writes (an editor showing nothing there would be a silent all-clear).
 */
export function wholeModelGap(model: RlsModel): IncompleteItem | undefined {
  const fromDatabase = model.sources?.some((s) => s.method === 'database') ?? false;
  const fromSnapshot = model.sources?.some((s) => s.method === 'snapshot') ?? false;
  const gated = [...model.tables.values()].some((t) => t.rlsEnabled);
  if (!fromDatabase && !fromSnapshot && model.files.length === 0) {
    return {
      file: '.',
      kind: 'migration',
      reason:
        'no migrations found, so no table is known to be RLS-gated and no write can be judged; name the migration ' +
        'folders with `migrations` in the config, or read the model from a database with --database-url',
    };
  }
  if (!gated) {
    const ref = model.sources?.[0]?.ref ?? '.';
    return {
      file: fromDatabase ? '.' : ref,
      kind: fromDatabase ? 'database' : 'migration',
      reason: `no RLS-gated tables in the model (${fromDatabase ? 'the database' : `the migrations in ${ref}`} ` +
        `enable row level security on no table), so no write can be judged; check that these are the right ` +
        `${fromDatabase ? 'database' : 'migrations'}`,
    };
  }
  return undefined;
}

