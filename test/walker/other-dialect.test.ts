import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';

// A Kysely instance whose dialect is SQLite (kysely's SqliteDialect, BunSqliteDialect,
// LibsqlDialect, D1Dialect) never writes to Postgres: its writes, in whatever file uses it,
// are not-gated with the dialect as evidence (src/analysis/other-dialect.ts).

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/kysely-dialects');

describe('Kysely on another database', () => {
  const report = auditSync({ paths: [ROOT], types: false, schemaSource: 'static' });

  it('judges writes through a SQLite dialect not-gated, and the Postgres one as usual', () => {
    const { actual, wanted } = annotatedVerdicts(report, readExpectations(ROOT, sourceFiles(ROOT)));
    expect(wanted.length).toBe(6);
    expect(actual).toEqual(wanted);
  });

  it('names the dialect, and counts none of them as a gated write', () => {
    const sqlite = report.writeSites.filter((s) => s.coverage === 'not-gated');
    expect(sqlite.every((s) => !s.gated)).toBe(true);
    expect(sqlite[0]!.evidence).toBe(
      "runs on kysely Kysely created at src/databases.ts:17, whose dialect is SQLite (`SqliteDialect` from 'kysely' " +
        'at src/databases.ts:16): not Postgres, so no row-level security applies',
    );
    expect(sqlite.map((s) => s.evidence.match(/`(\w+)` from '([^']+)'/)?.slice(1).join(' '))).toEqual([
      'SqliteDialect kysely',
      'BunSqliteDialect kysely-bun-sqlite',
      'LibsqlDialect @libsql/kysely-libsql',
      'D1Dialect kysely-d1',
      'SqliteDialect kysely',
    ]);
    expect(report.summary.gatedWriteSites).toBe(1);
    expect(report.findings.filter((f) => f.ruleId === 'no-unscoped-write').map((f) => f.line)).toEqual([5]);
  });
});
