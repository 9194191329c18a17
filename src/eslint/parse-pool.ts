import type ts from '../ts.js';
import { parseSource } from '../files/source.js';

// One parse per file text in a lint process, whoever asked for it: the project index's analysis session (its parse of
// each project file) and the files decided alone (lint-analysis.ts: the modules the linted file imports, read from
// disk) parsed the same files each for itself, so an editor's process held two trees of every module the first
// linted file imports (20 MB on signacare's route file, relint25). The pool holds no parse: each holder keeps the
// parses it uses, and the pool hands out one while some holder still has it, when its text is the same.

const pool = new Map<string, WeakRef<ts.SourceFile>>();

/** Parses made, and parses handed out again to another asker (tests: the session took the alone analysis's tree). */
export const poolWork = { parsed: 0, shared: 0 };

/** The parse of `text` as the file `abs`: one already held in this process when its text is the same. */
export function pooledParse(abs: string, text: string): ts.SourceFile {
  const held = pool.get(abs)?.deref();
  if (held && held.text === text) {
    poolWork.shared++;
    return held;
  }
  poolWork.parsed++;
  const sf = parseSource(abs, text);
  pool.set(abs, new WeakRef(sf));
  return sf;
}
