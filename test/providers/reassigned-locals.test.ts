import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// A local `let` given several values is read as each of them (origins.ts, providers/replaced-members.ts); the fixture
// fixtures/providers/reassigned-locals holds the verdicts. These are the readings' limits: a value built from the
// variable itself is not followed (Oppsera's content guard, `sanitized = sanitized.replace(…)` nine times, grew its
// reason without end and the file was given up, "Invalid string length").

const PKG = '{"name":"t","private":true,"dependencies":{"pg":"^8"}}';
const DB = `import { Pool } from 'pg';\nexport const pool = new Pool();\n`;

describe('a reassigned local', () => {
  it('rebuilt from itself many times is read once, without its reason growing, and its file is analysed', () => {
    const steps = Array.from({ length: 24 }, (_, i) => `  s = s.replace(/x${i}/g, '[${i}]');`).join('\n');
    const r = auditProject({
      'package.json': PKG,
      'src/db.ts': DB,
      'src/clean.ts': `import { pool } from './db.js';
function lines(text: string): string {
  return text.split('\\n').filter((l) => !l.startsWith('$')).join('\\n');
}
export function clean(text: string): string {
  let s = text;
${steps}
  s = lines(s);
  return s.trim();
}
export async function save(text: string): Promise<void> {
  const cleaned = clean(text);
  if (cleaned !== text) await pool.query('INSERT INTO projects (name) VALUES ($1)', [cleaned]);
}
`,
    });
    expect(r.incomplete.filter((i) => i.file === 'src/clean.ts')).toEqual([]);
    expect(verdicts(r)).toEqual(['src/clean.ts:36 unscoped']);
  });

  it('given a member of the same name (`let tnx = this.opts.tnx`) is read as its values, the member no read of itself', () => {
    const r = auditProject({
      'package.json': PKG,
      'src/db.ts': DB,
      'src/runner.ts': `import type { Pool, PoolClient } from 'pg';
import { pool } from './db.js';
export class Runner {
  constructor(private readonly opts: { db: Pool | PoolClient }) {}
  async purge(long: boolean): Promise<void> {
    let db = this.opts.db;
    if (long) db = pool;
    await db.query("DELETE FROM projects WHERE name = 'runner'");
  }
}
export async function purgeAll(): Promise<void> {
  await new Runner({ db: pool }).purge(true);
}
`,
    });
    expect(verdicts(r)).toEqual(['src/runner.ts:8 unscoped']);
    expect(r.writeSites[0]!.evidence).toContain('`db` is reassigned: it holds `this.opts.db`');
  });

  it('given a parameter and a client of its own stays unresolved, naming the parameter each caller passes', () => {
    const r = auditProject({
      'package.json': PKG,
      'src/db.ts': DB,
      'src/runner.ts': `import type { PoolClient } from 'pg';
import { pool } from './db.js';
export async function purge(given?: PoolClient): Promise<void> {
  let db = given;
  if (!db) db = await pool.connect();
  await db.query("DELETE FROM projects WHERE name = 'given'");
}
`,
    });
    expect(verdicts(r)).toEqual(['src/runner.ts:6 unresolved']);
    expect(r.writeSites[0]!.evidence).toContain('`given` is parameter `given` of `purge`, a connection each caller passes');
  });
});
