// A phase timer for measuring the cold audit (docs/performance.md): with RLS_GUARD_PHASES=1 in the environment, the
// audit marks where each phase starts and prints the process's CPU time per phase (user + system, every thread of the
// process: the garbage collector's helpers too; not child processes, such as the migrations' replay) to stderr when it
// ends. Without it each mark reads one environment variable (a dozen per audit). Phases are marked in sequence, not
// nested: a fact first asked for in a later phase (a flow's fact read by the settlement) counts in the phase that
// asked. With RLS_GUARD_PHASES=mem a second table follows: per phase, the collector's pauses (scavenges and
// mark-compacts, counted and timed by V8's GC profiler, which records them as they happen, so a synchronous audit's
// are counted too), and at the phase's end the heap used, the heap V8 holds, memory outside the heap (WebAssembly
// memories, buffers) and the process's resident set; with `node --expose-gc`, after a full collection (what is live).
// With RLS_GUARD_HEAPSNAPSHOT=<phase> (a phase's name or the start of it, or `end` for the audit's end) the process
// writes a V8 heap snapshot when that phase is marked, whatever RLS_GUARD_PHASES says: what is live there, object by
// object, for Chrome's memory tool (issue 15's memory work: docs/performance.md, mem28).

import v8 from 'node:v8';

interface Memory {
  used: number;
  total: number;
  external: number;
  rss: number;
}

interface Mark {
  name: string;
  cpu: NodeJS.CpuUsage;
  /** With RLS_GUARD_PHASES=mem: the memory when the phase ended and the collections it made. */
  memory?: Memory;
  gc?: { scavenges: number; scavengeMs: number; majors: number; majorMs: number };
}

let marks: Mark[] = [];
let profiler: v8.GCProfiler | undefined;

function on(): boolean {
  const v = process.env['RLS_GUARD_PHASES'];
  return v === '1' || v === 'mem';
}

function memoryOn(): boolean {
  return process.env['RLS_GUARD_PHASES'] === 'mem';
}

function memoryNow(): Memory {
  // Run with `node --expose-gc` the figures are what is live: a full collection first (its time is not counted).
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
  const h = v8.getHeapStatistics();
  const rss = process.memoryUsage.rss();
  return { used: h.used_heap_size, total: h.total_heap_size, external: h.external_memory, rss };
}

/** Closes the last phase's memory figures (what its collections cost, what is held at its end). */
function closeLast(): void {
  const last = marks[marks.length - 1];
  if (!last || !profiler) return;
  const gc = { scavenges: 0, scavengeMs: 0, majors: 0, majorMs: 0 };
  for (const s of profiler.stop()?.statistics ?? []) {
    if (s.gcType === 'Scavenge' || s.gcType === 'MinorMarkCompact') {
      gc.scavenges++;
      gc.scavengeMs += s.cost / 1000;
    } else if (s.gcType === 'MarkSweepCompact') {
      gc.majors++;
      gc.majorMs += s.cost / 1000;
    }
  }
  profiler = undefined;
  last.gc = gc;
  last.memory = memoryNow();
}

/** The snapshot's file name: the phase's words, the process id; in the working folder. */
function snapshotAt(name: string): string | undefined {
  const wanted = process.env['RLS_GUARD_HEAPSNAPSHOT'];
  if (!wanted || !name.startsWith(wanted)) return undefined;
  const slug = name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').slice(0, 40);
  return `rls-guard-${slug}-${process.pid}.heapsnapshot`;
}

/** Writes a heap snapshot when RLS_GUARD_HEAPSNAPSHOT names this mark; the written file's path is printed. */
export function snapshotIfAsked(
  name: string,
  write: (text: string) => void = (t) => process.stderr.write(t),
  snapshot: (file: string) => string = (f) => v8.writeHeapSnapshot(f),
): void {
  const file = snapshotAt(name);
  if (!file) return;
  // V8's writer is slow on this heap (tens of seconds for TypeScript's own objects, far longer for an audit's): say so.
  write(`rls-guard: writing a heap snapshot at "${name}"\n`);
  write(`rls-guard: heap snapshot written: ${snapshot(file)}\n`);
}

/** The phase `name` starts now (the one before it ends). */
export function phase(name: string): void {
  snapshotIfAsked(name);
  if (!on()) return;
  if (memoryOn()) closeLast();
  marks.push({ name, cpu: process.cpuUsage() });
  if (memoryOn()) {
    profiler = new v8.GCProfiler();
    profiler.start();
  }
}

const MB = (n: number): string => (n / 1048576).toFixed(0).padStart(6);

function memoryTable(): string {
  const head = '  scav  ms   major  ms   heap used  heap held  external  rss (MB at the phase end)';
  const rows = marks.map((m) => {
    const g = m.gc ?? { scavenges: 0, scavengeMs: 0, majors: 0, majorMs: 0 };
    const mem = m.memory ?? memoryNow();
    const gcText =
      `${String(g.scavenges).padStart(6)} ${g.scavengeMs.toFixed(0).padStart(5)} ` +
      `${String(g.majors).padStart(5)} ${g.majorMs.toFixed(0).padStart(5)}`;
    return `${gcText}  ${MB(mem.used)}     ${MB(mem.total)}    ${MB(mem.external)}  ${MB(mem.rss)}  ${m.name}`;
  });
  const max = (process.resourceUsage().maxRSS / 1024).toFixed(0);
  return `rls-guard phases (memory and collector)\n${head}\n${rows.join('\n')}\npeak rss ${max} MB\n`;
}

/** Ends the last phase and prints the table (stderr); nothing when not enabled. */
export function phaseReport(write: (text: string) => void = (t) => process.stderr.write(t)): void {
  snapshotIfAsked('end', write);
  if (!on() || marks.length === 0) return;
  const end: Mark = { name: 'total', cpu: process.cpuUsage() };
  if (memoryOn()) closeLast();
  const seconds = (from: Mark, to: Mark): string =>
    ((to.cpu.user - from.cpu.user + to.cpu.system - from.cpu.system) / 1e6).toFixed(2).padStart(7);
  const rows = marks.map((m, i) => `${seconds(m, marks[i + 1] ?? end)} s  ${m.name}`);
  const memory = memoryOn() ? memoryTable() : '';
  write(`rls-guard phases (CPU, user + system)\n${rows.join('\n')}\n${seconds(marks[0]!, end)} s  total\n${memory}`);
  marks = [];
}
