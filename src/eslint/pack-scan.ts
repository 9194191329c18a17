import fs from 'node:fs';
import path from 'node:path';
import type { TSESLint } from '@typescript-eslint/utils';
import type { LoadedConfig } from '../config/load.js';
import { scanCode, type CodeMatch } from '../packs/code.js';
import { loadPacks, packFiles, type PackSet } from '../packs/load.js';
import { matcherFor } from '../packs/matcher.js';
import { platformUse, type PlatformUse } from '../packs/platform-use.js';
import { codeStamp, sha } from '../files/code-stamp.js';
import { VERSION } from '../version.js';
import { configFor, setupProblem, tsSourceFile } from './lint-analysis.js';
import { notePackFreeText, packFreeText } from './project-index.js';

// One pack scan of the linted file per lint run, shared by the three pack rules. The file's
// suppressions are applied with every other finding's (src/eslint/report-findings.ts).
//
// Most files name no pack entry. The project index remembers, per saved content, that its scan
// found nothing under the packs of the time (packsKey: the pack files' text and rls-guard's
// build), so a warm lint of such a file costs a lookup by the hash the index computed anyway:
// no scan, no pack loading, no look at the deployment files for which packs apply.

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
  const loaded = configFor(path.dirname(filename));
  const text = context.sourceCode.text;
  const key = packsKeyFor(loaded);
  if (packFreeText(loaded.dir, filename, text, key)) return { matches: [] };
  scansRun++;
  const sf = tsSourceFile(context.sourceCode, filename);
  const packs = packsFor(loaded);
  const found = scanCode(sf, matcherFor(packs));
  // Nothing found before the platform filter: nothing to find whichever packs apply.
  if (!found.length) notePackFreeText(loaded.dir, filename, text, key);
  if (!found.length) return { matches: [] };
  const use = usesFor(loaded, packs);
  return { matches: found.filter((m) => use.applies.has(m.entry.pack)) };
}

let scansRun = 0;

/** How many pack scans this process has run (tests: a remembered answer runs none). */
export function packScansRun(): number {
  return scansRun;
}

const packsKeys = new WeakMap<LoadedConfig, string>();

/**
 * What a remembered "no pack entry here" holds for: the text of every pack file (a pack file that is missing or
 * invalid gives a key no scan was stored under, so the scan runs and reports it) and the build of the scanner.
 */
export function packsKeyFor(loaded: LoadedConfig): string {
  let key = packsKeys.get(loaded);
  if (key === undefined) {
    const texts = packFiles(loaded.dir, loaded.config.packs).map((f) => {
      try {
        return `${f}\0${fs.readFileSync(f, 'utf8')}`;
      } catch {
        return `${f}\0missing`;
      }
    });
    packsKeys.set(loaded, (key = sha([VERSION, codeStamp(), ...texts].join('\n'))));
  }
  return key;
}

const uses = new WeakMap<LoadedConfig, PlatformUse>();

/** Which packs apply to the project of the config (once per config and process), as the walker decides. */
function usesFor(loaded: LoadedConfig, packs: PackSet): PlatformUse {
  let use = uses.get(loaded);
  if (!use) uses.set(loaded, (use = platformUse(packs, loaded.dir, [loaded.dir], loaded.config.ignore ?? [])));
  return use;
}
