import type { ProgressEvent } from './walker/audit.js';
import { plural } from './formatters/markdown.js';

// Progress for long audits on an interactive terminal: one line on stderr, drawn once the
// audit has run for `delayMs` (a quick audit shows nothing), redrawn in place at most every
// `intervalMs`, and replaced by the totals at the end. The CLI uses it only when stderr is
// a TTY and not --quiet, so CI logs and pipes never see it.

export interface ProgressSink {
  write: (text: string) => void;
  now?: () => number;
  intervalMs?: number;
  delayMs?: number;
}

export function progressReporter(sink: ProgressSink): (event: ProgressEvent) => void {
  const now = sink.now ?? (() => performance.now());
  const interval = sink.intervalMs ?? 100;
  const shownFrom = now() + (sink.delayMs ?? 400);
  let last = -Infinity;
  let drawn = false;
  const draw = (line: string, force: boolean): void => {
    const t = now();
    if (t < shownFrom || (!force && t - last < interval)) return;
    last = t;
    sink.write(`\r\x1b[2K${line}`);
    drawn = true;
  };
  return (e) => {
    if (e.phase === 'parse') draw(`rls-guard: parsed ${e.parsed}/${e.total} files`, e.parsed === e.total);
    else if (e.phase === 'analyze') draw(`rls-guard: analysing ${plural(e.files, 'file')}…`, true);
    else if (drawn)
      sink.write(
        `\r\x1b[2Krls-guard: ${plural(e.files, 'file')}${e.cached ? ` (${e.cached} from the cache)` : ''}, ` +
        `${plural(e.writeSites, 'write site')} found\n`,
      );
  };
}
