import type { ReplayFailure } from './replay.js';
import type { SchemaDiagnostic } from './types.js';

// The statements the embedded-Postgres replay could not run, as gaps of the audit. A pg_dump
// of a database with extensions the replay lacks (TimescaleDB, PostGIS) fails hundreds of
// statements in one file; one `no-incomplete-audit` finding each buried every other finding.
// So a file is one gap, at its first failed statement, counting them and quoting the first
// few; each statement stays in the report's diagnostics as a note.

/** How many failed statements a file's gap quotes. */
const QUOTED = 3;
/** How much of each quoted statement the gap shows (the note shows the statement in full). */
const STATEMENT_CHARS = 60;

export function replayGaps(failures: readonly ReplayFailure[]): SchemaDiagnostic[] {
  const byFile = new Map<string, ReplayFailure[]>();
  for (const f of failures) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  const out: SchemaDiagnostic[] = [];
  for (const [file, fs] of byFile) {
    if (fs.length === 1) {
      out.push({ ...statementGap(fs[0]!), incomplete: true });
      continue;
    }
    const sorted = [...fs].sort((a, b) => a.line - b.line);
    const quoted = sorted
      .slice(0, QUOTED)
      .map((f) => `line ${f.line} (${f.reason}: ${shorten(f.statement)})`)
      .join(', ');
    const rest = sorted.length > QUOTED ? `, and ${sorted.length - QUOTED} more` : '';
    const objects = new Set(sorted.flatMap((f) => f.objects));
    out.push({
      file,
      line: sorted[0]!.line,
      incomplete: true,
      message:
        `${sorted.length} statements did not replay in embedded Postgres: ${quoted}${rest} ` +
        `(each is listed in the report's diagnostics)` +
        (objects.size ? `; facts for ${objects.size} objects they touch come from the static reading` : ''),
    });
    out.push(...sorted.map(statementGap));
  }
  return out;
}

/** One failed statement: the gap of a file with no other, else a note beside the file's gap. */
function statementGap(f: ReplayFailure): SchemaDiagnostic {
  return {
    file: f.file,
    line: f.line,
    // The static reading stands in for what it names, but the replay's view of the
    // statement (and of everything a DO block or function call would have done) is lost.
    message:
      `did not replay in embedded Postgres (${f.reason}): ` +
      `${f.statement}${f.objects.length ? `; facts for ${f.objects.join(', ')} come from the static reading` : ''}`,
  };
}

function shorten(statement: string): string {
  const s = statement.replace(/\s+/g, ' ').trim();
  return s.length > STATEMENT_CHARS ? `${s.slice(0, STATEMENT_CHARS - 1)}…` : s;
}
