import { readCatalog } from './catalog.js';
import { beat } from './heartbeat.js';
import { replayMigrations } from './replay.js';
import { compileWasmOnce } from './wasm-compile.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

// A child process that does the asynchronous schema work (PGlite, pg) for synchronous
// callers: ESLint rules and auditSync cannot await, so they run this once and cache it.

// Before PGlite is created (its module compiles when an instance boots): see wasm-compile.ts.
compileWasmOnce();

async function handle(request: WorkerRequest): Promise<WorkerResponse> {
  if (request.kind === 'replay') return { ok: true, kind: 'replay', result: await replayMigrations(request.files) };
  const started = performance.now();
  const pg = (await import('pg')).default;
  const client = new pg.Client({
    connectionString: request.url,
    application_name: 'rls-guard',
    statement_timeout: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    // Read-only by construction: nothing here can change the database it inspects.
    await client.query('BEGIN TRANSACTION READ ONLY');
    const catalog = await readCatalog(async (text) => {
      const result = await client.query(text);
      beat();
      return result;
    });
    await client.query('ROLLBACK');
    return { ok: true, kind: 'database', result: { catalog, durationMs: performance.now() - started } };
  } finally {
    await client.end();
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  handle(JSON.parse(input) as WorkerRequest)
    .catch((error: unknown): WorkerResponse => ({
      ok: false,
      error: error instanceof Error ? error.message : String(error),
    }))
    .then((response) => process.stdout.write(JSON.stringify(response)));
});
