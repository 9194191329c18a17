import path from 'node:path';
import type { TSESLint } from '@typescript-eslint/utils';
import type { LoadedConfig } from '../config/load.js';
import { scanCode, type CodeMatch } from '../packs/code.js';
import { loadPacks, type PackSet } from '../packs/load.js';
import { matcherFor } from '../packs/matcher.js';
import { findSuppressions, suppressionFor } from '../report/suppressions.js';
import { configFor, tsSourceFile } from './lint-analysis.js';

// One pack scan of the linted file per lint run, shared by the three pack rules, with the
// file's rls-guard-ignore-next-line comments applied as the walker applies them.

export interface PackScan {
  /** Matches no suppression comment covers. */
  matches: CodeMatch[];
  /** 1-based lines of the suppression comments the matches used (the core sees them as unused). */
  usedSuppressionLines: Set<number>;
}

const scans = new WeakMap<object, PackScan>();
const packSets = new WeakMap<LoadedConfig, PackSet>();

function packsFor(loaded: LoadedConfig): PackSet {
  let set = packSets.get(loaded);
  if (!set) packSets.set(loaded, (set = loadPacks(loaded.dir, loaded.config.packs)));
  return set;
}

export function packScan(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): PackScan {
  const hit = scans.get(context.sourceCode);
  if (hit) return hit;
  const filename = path.resolve(context.physicalFilename ?? context.filename);
  const sf = tsSourceFile(context.sourceCode, filename);
  const suppressions = findSuppressions(sf);
  const result: PackScan = { matches: [], usedSuppressionLines: new Set() };
  for (const m of scanCode(sf, matcherFor(packsFor(configFor(path.dirname(filename)))))) {
    const s = suppressionFor(suppressions, m.ruleId, sf.getLineAndCharacterOfPosition(m.start).line + 1);
    if (s) result.usedSuppressionLines.add(s.line);
    else result.matches.push(m);
  }
  scans.set(context.sourceCode, result);
  return result;
}
