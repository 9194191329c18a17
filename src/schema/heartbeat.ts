import fs from 'node:fs';

// The schema worker's sign of progress, read by the process that runs it (beside.ts). A replay is stopped when it
// stops making progress, not after a fixed time: a fixed time made a busy machine's audit fall back to the static
// reading where a quiet one replayed (Oppsera's 46 s replay passed 300 s at load 20+, and 254 verdicts differed), so
// a report depended on the load. The child writes one byte on the descriptor the parent gave it after each statement
// (and each catalog query); the parent counts the CPU the child spends between two of them.

/** The environment variable that names the descriptor to write on (set by the parent, beside.ts). */
export const BEAT_FD_ENV = 'RLS_GUARD_BEAT_FD';

/** At most one byte per this many ms: a migration can hold 100,000 statements. */
const EVERY_MS = 100;

let last = 0;
let fd: number | null | undefined;

/** Says "still making progress" to the parent, when it asked for it; otherwise nothing. Never throws. */
export function beat(): void {
  if (fd === undefined) {
    const set = Number(process.env[BEAT_FD_ENV]);
    fd = Number.isInteger(set) && set > 2 ? set : null;
  }
  if (fd === null) return;
  const now = Date.now();
  if (now - last < EVERY_MS) return;
  last = now;
  try {
    fs.writeSync(fd, '.');
  } catch {
    // A parent that stopped reading (it is ending us) or a full pipe: the next beat tries again.
  }
}
