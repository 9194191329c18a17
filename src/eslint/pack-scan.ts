import path from 'node:path';
import type { TSESLint } from '@typescript-eslint/utils';
import type { LoadedConfig } from '../config/load.js';
import { scanCode, type CodeMatch } from '../packs/code.js';
import { loadPacks, type PackSet } from '../packs/load.js';
import { matcherFor } from '../packs/matcher.js';
import { platformUse, type PlatformUse } from '../packs/platform-use.js';
import { configFor, setupProblem, tsSourceFile } from './lint-analysis.js';

// One pack scan of the linted file per lint run, shared by the three pack rules. The file's
// suppressions are applied with every other finding's (src/eslint/report-findings.ts).

export type PackScanResult = ({ ok: true } & PackScan) | { ok: false; problem: string };

export interface PackScan {
  matches: CodeMatch[];
}

const scans = new WeakMap<object, PackScanResult>();
const packSets = new WeakMap<LoadedConfig, PackSet>();

function packsFor(loaded: LoadedConfig): PackSet {
  let set = packSets.get(loaded);
  if (!set) packSets.set(loaded, (set = loadPacks(loaded.dir, loaded.config.packs)));
  return set;
}

/** The file's pack matches, or why they cannot be computed (an invalid config or pack). Never throws. */
export function packScan(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): PackScanResult {
  const hit = scans.get(context.sourceCode);
  if (hit) return hit;
  let result: PackScanResult;
  try {
    result = { ok: true, ...scanFile(context) };
  } catch (error) {
    result = { ok: false, problem: setupProblem(error) };
  }
  scans.set(context.sourceCode, result);
  return result;
}

function scanFile(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): PackScan {
  const filename = path.resolve(context.physicalFilename ?? context.filename);
  const sf = tsSourceFile(context.sourceCode, filename);
  const loaded = configFor(path.dirname(filename));
  const packs = packsFor(loaded);
  const use = usesFor(loaded, packs);
  return { matches: scanCode(sf, matcherFor(packs)).filter((m) => use.applies.has(m.entry.pack)) };
}

const uses = new WeakMap<LoadedConfig, PlatformUse>();

/** Which packs apply to the project of the config (once per config and process), as the walker decides. */
function usesFor(loaded: LoadedConfig, packs: PackSet): PlatformUse {
  let use = uses.get(loaded);
  if (!use) uses.set(loaded, (use = platformUse(packs, loaded.dir, [loaded.dir], loaded.config.ignore ?? [])));
  return use;
}
