// The replay's own figures (docs/performance.md): with RLS_GUARD_PHASES=1 or mem in the environment, the replay marks
// its steps (PGlite's boot, the migrations' statements, the retries, the catalog read, the close) and, when it ends,
// prints per step the wall and CPU time and the resident set at the step's end, then the process's peak resident set
// (VmHWM: getrusage's maxRSS), to stderr. The replay runs in the schema worker, a child of the audit: its peak is not
// the CLI's, and the CLI's phase timer cannot see it (run-worker.ts lets the child's stderr through when this is on).

interface Step {
  name: string;
  wall: number;
  cpu: NodeJS.CpuUsage;
  rss?: number;
}

let steps: Step[] = [];
let notes: string[] = [];

/** A line of figures printed under the table (what the in-memory data directory holds at the end). */
export function replayNote(text: string): void {
  if (replayStatsOn()) notes.push(text);
}

export function replayStatsOn(): boolean {
  const v = process.env['RLS_GUARD_PHASES'];
  return v === '1' || v === 'mem';
}

/** The replay's step `name` starts now (the one before it ends). */
export function replayStep(name: string): void {
  if (!replayStatsOn()) return;
  const last = steps[steps.length - 1];
  if (last) last.rss = process.memoryUsage.rss();
  steps.push({ name, wall: performance.now(), cpu: process.cpuUsage() });
}

/** Ends the last step and prints the table; nothing when not enabled. */
export function replayStepsReport(write: (text: string) => void = (t) => process.stderr.write(t)): void {
  if (!replayStatsOn() || steps.length === 0) return;
  const end: Step = { name: 'total', wall: performance.now(), cpu: process.cpuUsage(), rss: process.memoryUsage.rss() };
  const cpu = (from: Step, to: Step): string =>
    ((to.cpu.user - from.cpu.user + to.cpu.system - from.cpu.system) / 1e6).toFixed(2).padStart(7);
  const wall = (from: Step, to: Step): string => ((to.wall - from.wall) / 1000).toFixed(2).padStart(7);
  const mb = (n: number | undefined): string => ((n ?? end.rss!) / 1048576).toFixed(0).padStart(6);
  const rows = steps.map((s, i) => {
    const next = steps[i + 1] ?? end;
    return `${wall(s, next)} s ${cpu(s, next)} s ${mb(s.rss)}  ${s.name}`;
  });
  const peak = (process.resourceUsage().maxRSS / 1024).toFixed(0);
  write(
    `rls-guard replay (pid ${process.pid}: wall, CPU user + system, rss MB at the step's end)\n${rows.join('\n')}\n` +
      `${wall(steps[0]!, end)} s ${cpu(steps[0]!, end)} s        total\n${notes.map((n) => `${n}\n`).join('')}` +
      `replay peak rss ${peak} MB\n`,
  );
  steps = [];
  notes = [];
}
