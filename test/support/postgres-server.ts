import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// A real PostgreSQL server for the live-database tests: the one RLS_GUARD_TEST_DATABASE_URL
// names, else a throwaway cluster started from the machine's initdb/pg_ctl (Debian's
// postgresql package; .ci/run installs it when it can). Absent both, the tests skip and say why.

export interface Server {
  url: string;
  stop: () => void;
}

export type Found = { ok: true; server: Server } | { ok: false; why: string };

function findBin(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter);
  try {
    for (const v of fs.readdirSync('/usr/lib/postgresql').sort().reverse()) dirs.push(path.join('/usr/lib/postgresql', v, 'bin'));
  } catch {
    // not Debian's layout
  }
  return dirs.map((d) => path.join(d, name)).find((f) => fs.existsSync(f));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function startPostgres(): Promise<Found> {
  if (process.env.RLS_GUARD_TEST_DATABASE_URL) return { ok: true, server: { url: process.env.RLS_GUARD_TEST_DATABASE_URL, stop: () => {} } };
  const initdb = findBin('initdb');
  const pgCtl = findBin('pg_ctl');
  if (!initdb || !pgCtl) return { ok: false, why: 'no PostgreSQL server here (no initdb/pg_ctl; install Debian\'s postgresql or set RLS_GUARD_TEST_DATABASE_URL)' };
  // initdb refuses to run as root: run the cluster as the postgres user when we are root.
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  if (asRoot && spawnSync('id', ['postgres']).status !== 0) return { ok: false, why: 'running as root and there is no postgres user to run a cluster as' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-pg-'));
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  const port = await freePort();
  try {
    execFileSync(...wrap(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']), { stdio: 'pipe' });
    execFileSync(...wrap(pgCtl, ['-D', data, '-w', '-t', '30', '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']), { stdio: 'pipe' });
  } catch (error) {
    return { ok: false, why: `could not start a throwaway PostgreSQL cluster: ${(error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message}` };
  }
  return {
    ok: true,
    server: {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: () => {
        spawnSync(...wrap(pgCtl, ['-D', data, '-m', 'immediate', 'stop']), { stdio: 'pipe' });
        fs.rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}
