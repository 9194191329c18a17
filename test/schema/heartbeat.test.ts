import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BEAT_FD_ENV } from '../../src/schema/heartbeat.js';
import { replayStall } from '../../src/schema/run-worker.js';

// The schema worker shows progress on the descriptor its parent names (beside.ts stops it only when that stops), so
// a replay that takes long on a busy machine still finishes. This runs the worker itself and reads what it writes.

const WORKER = fileURLToPath(new URL('../../src/schema/worker.ts', import.meta.url));

function runWorker(beatFd: boolean): { beats: string; answer: { ok: boolean } } {
  const files = [
    {
      path: 'db/001_init.sql',
      text:
        'CREATE TABLE notes (id int, org_id text);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n' +
        "CREATE POLICY org ON notes USING (org_id = current_setting('app.org_id', true));\n",
    },
  ];
  const env = { ...process.env };
  delete env[BEAT_FD_ENV];
  if (beatFd) env[BEAT_FD_ENV] = '3';
  const run = spawnSync(process.execPath, ['--import', 'tsx', WORKER], {
    input: JSON.stringify({ kind: 'replay', files }),
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env,
    encoding: 'utf8',
  });
  return { beats: String(run.output[3] ?? ''), answer: JSON.parse(run.stdout) as { ok: boolean } };
}

describe('the schema worker’s heartbeat', () => {
  it('beats while it replays, on the descriptor it is given', () => {
    const { beats, answer } = runWorker(true);
    expect(answer.ok).toBe(true);
    expect(beats.length).toBeGreaterThan(0);
    expect(beats).toMatch(/^\.+$/);
  });

  it('writes nothing there when no parent asked for it', () => {
    const { beats, answer } = runWorker(false);
    expect(answer.ok).toBe(true);
    expect(beats).toBe('');
  });

  it('is stopped after 120 s of CPU or 10 minutes without progress, unless the environment says otherwise', () => {
    expect(replayStall({})).toEqual({ cpuMs: 120_000, wallMs: 600_000 });
    expect(replayStall({ RLS_GUARD_REPLAY_STALL_CPU_MS: '5000', RLS_GUARD_REPLAY_STALL_MS: 'soon' })).toEqual({
      cpuMs: 5000,
      wallMs: 600_000,
    });
  });
});

describe('a replay that stops making progress', () => {
  it('is stopped after its CPU budget, and says so (a DO block that loops for ever)', async () => {
    const { runWorker: run } = await import('../../src/schema/run-worker.js');
    const saved = process.env.RLS_GUARD_REPLAY_STALL_CPU_MS;
    // Above PGlite's boot (2.5 s of CPU on Oppsera's replay), which beats once it is done.
    process.env.RLS_GUARD_REPLAY_STALL_CPU_MS = '8000';
    try {
      const started = Date.now();
      const response = run({
        kind: 'replay',
        files: [
          { path: 'db/001.sql', text: 'CREATE TABLE t (id int);\n' },
          { path: 'db/002.sql', text: 'DO $$ BEGIN LOOP PERFORM 1; END LOOP; END $$;\n' },
        ],
      });
      expect(response).toEqual({
        ok: false,
        error: expect.stringMatching(/^the schema worker failed: stopped: it made no progress in \d+ s of CPU/),
      });
      // Stopped by its budget (8 s of CPU), not by the 10 minutes of wall time.
      expect(Date.now() - started).toBeLessThan(300_000);
    } finally {
      if (saved === undefined) delete process.env.RLS_GUARD_REPLAY_STALL_CPU_MS;
      else process.env.RLS_GUARD_REPLAY_STALL_CPU_MS = saved;
    }
  });
});
