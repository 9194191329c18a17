// A phase timer for measuring the cold audit (docs/performance.md): with RLS_GUARD_PHASES=1 in the environment, the
// audit marks where each phase starts and prints the process's CPU time per phase (user + system, every thread of the
// process: the garbage collector's helpers too; not child processes, such as the migrations' replay) to stderr when it
// ends. Without it each mark reads one environment variable (a dozen per audit). Phases are marked in sequence, not
// nested: a fact first asked for in a later phase (a flow's fact read by the settlement) counts in the phase that
// asked. The collector's own share is the CPU profile's (`--cpu-prof`): Node reports its pauses only once the event
// loop turns, after a synchronous audit.

interface Mark {
  name: string;
  cpu: NodeJS.CpuUsage;
}

let marks: Mark[] = [];

function on(): boolean {
  return process.env['RLS_GUARD_PHASES'] === '1';
}

/** The phase `name` starts now (the one before it ends). */
export function phase(name: string): void {
  if (on()) marks.push({ name, cpu: process.cpuUsage() });
}

/** Ends the last phase and prints the table (stderr); nothing when not enabled. */
export function phaseReport(write: (text: string) => void = (t) => process.stderr.write(t)): void {
  if (!on() || marks.length === 0) return;
  const end: Mark = { name: 'total', cpu: process.cpuUsage() };
  const seconds = (from: Mark, to: Mark): string =>
    ((to.cpu.user - from.cpu.user + to.cpu.system - from.cpu.system) / 1e6).toFixed(2).padStart(7);
  const rows = marks.map((m, i) => `${seconds(m, marks[i + 1] ?? end)} s  ${m.name}`);
  write(`rls-guard phases (CPU, user + system)\n${rows.join('\n')}\n${seconds(marks[0]!, end)} s  total\n`);
  marks = [];
}
