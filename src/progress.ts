import type { ProgressEvent } from './walker/audit.js';

// Progress for long audits on an interactive terminal: one line on stderr, redrawn in
// place at most every `intervalMs`, erased when the audit ends. Nothing at all when stderr
// is not a TTY (CI logs, pipes), so machine-read output is never mixed with it.

export interface ProgressSink {
  write: (text: string) => void;
  now?: () => number;
  intervalMs?: number;
}

export function progressReporter(sink: ProgressSink): (event: ProgressEvent) => void {
  const now = sink.now ?? (() => performance.now());
  const interval = sink.intervalMs ?? 100;
  let last = -Infinity;
  let drawn = false;
  const draw = (line: string, force: boolean): void => {
    const t = now();
    if (!force && t - last < interval) return;
    last = t;
    sink.write(`\r\x1b[2K${line}`);
    drawn = true;
  };
  return (e) => {
    if (e.phase === 'parse') draw(`rls-guard: parsed ${e.parsed}/${e.total} files`, e.parsed === e.total);
    else if (e.phase === 'analyze') draw(`rls-guard: analysing ${e.files} files…`, true);
    else if (drawn) sink.write(`\r\x1b[2Krls-guard: ${e.files} files, ${e.writeSites} write sites found\n`);
  };
}
