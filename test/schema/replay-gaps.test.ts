import { describe, expect, it } from 'vitest';
import type { ReplayFailure } from '../../src/schema/replay.js';
import { replayGaps } from '../../src/schema/replay-gaps.js';

// A pg_dump whose extension the replay lacks fails statement after statement: one gap per
// file (one no-incomplete-audit finding), each statement kept as a note.

const failure = (file: string, line: number, objects: string[] = []): ReplayFailure => ({
  file,
  line,
  statement: `SELECT create_hypertable('t${line}', 'ts', if_not_exists => TRUE) -- a long tail that the gap shortens`,
  reason: 'function create_hypertable(unknown, unknown, if_not_exists => boolean) does not exist',
  objects,
});

describe('replay gaps', () => {
  const failures = [
    ...Array.from({ length: 264 }, (_, i) => failure('db/dump.sql', 1000 - i, i === 0 ? ['public.t'] : [])),
    failure('db/other.sql', 7, ['public.other']),
  ];
  const gaps = replayGaps(failures);
  const incomplete = gaps.filter((g) => g.incomplete);

  it('makes one gap per file, at its first failed statement', () => {
    expect(incomplete.map((g) => `${g.file}:${g.line}`)).toEqual(['db/dump.sql:737', 'db/other.sql:7']);
  });

  it('counts the statements and quotes the first three, shortened', () => {
    const [dump] = incomplete;
    expect(dump!.message).toMatch(/^264 statements did not replay in embedded Postgres: line 737 \(function create_hypertable/);
    expect(dump!.message).toContain(', line 738 (');
    expect(dump!.message).toContain(', line 739 (');
    expect(dump!.message).not.toContain('line 740 (');
    expect(dump!.message).toContain(', and 261 more (each is listed in the report\'s diagnostics); facts for 1 objects');
    expect(dump!.message).not.toContain('the gap shortens');
  });

  it('keeps every statement as a note, and a lone failure as the gap it was', () => {
    expect(gaps.filter((g) => !g.incomplete && g.file === 'db/dump.sql')).toHaveLength(264);
    expect(incomplete[1]!.message).toMatch(/^did not replay in embedded Postgres \(function create_hypertable.*\): SELECT create_hypertable\('t7'.*; facts for public\.other come from the static reading$/);
  });
});

describe('the statement a replay failure quotes', () => {
  it("is the statement, without pg_dump's `-- Name: …` header lines", async () => {
    const { replayMigrations } = await import('../../src/schema/replay.js');
    const replay = await replayMigrations([
      { path: 'db/dump.sql', text: '--\n-- Name: timescaledb; Type: EXTENSION; Schema: -; Owner: -\n--\n\nCREATE EXTENSION IF NOT EXISTS timescaledb;\n' },
    ]);
    expect(replay.failures.map((f) => f.statement)).toEqual(['CREATE EXTENSION IF NOT EXISTS timescaledb']);
  }, 120_000);
});
