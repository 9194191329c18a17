import path from 'node:path';
import { parseJson } from '../files/json.js';
import { readSource } from '../files/source.js';
import { walkFiles } from '../files/walk.js';
import type { InputStore } from '../files/input-store.js';
import { deployFormat, scanDeployText } from './deploy/formats.js';
import type { DeployFormat, DeployScan } from './deploy/types.js';
import type { ReadDeployFile } from './audit.js';
import type { PackSet } from './load.js';
import type { Pack } from './types.js';

// A platform's migration pack speaks to codebases on that platform. `x-tenant-id` is AxonFlow's
// deprecated header, and also the header half the multi-tenant apps in the world read: on an
// app that never touched AxonFlow, the finding is noise. So a pack that says how a codebase
// shows it runs on the platform (`uses`: a package it depends on, a variable prefix its
// deployment sets) applies only where the audited tree shows one; a pack without `uses` (a
// user's own) always applies.

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

export interface PlatformUse {
  /** Ids of the packs that apply. */
  applies: ReadonlySet<string>;
  /** For each pack with `uses` that applies, what showed it (`package.json depends on @axonflow/sdk`). */
  evidence: ReadonlyMap<string, string>;
}

/**
 * Which packs apply to the tree under `paths` (root-relative evidence), reading package.json and deployment files.
 * With `inputs`, what each file shows (its dependencies, the variables it sets) is kept by its content: a warm run
 * reads and parses none of them (the YAML of a large monorepo's deployment was a third of a warm audit).
 * `scanned`: deployment files the pack pass of the same run already read and scanned (by absolute path), taken as they
 * are instead of being read and parsed again.
 */
export function platformUse(
  set: PackSet,
  root: string,
  paths: readonly string[],
  ignore: readonly string[],
  inputs?: InputStore,
  scanned?: ReadonlyMap<string, ReadDeployFile>,
): PlatformUse {
  const conditional = set.packs.filter((p) => p.uses);
  const applies = new Set(set.packs.filter((p) => !p.uses).map((p) => p.id));
  const evidence = new Map<string, string>();
  if (conditional.length === 0) return { applies, evidence };
  const found = (pack: Pack, why: string): void => {
    if (applies.has(pack.id)) return;
    applies.add(pack.id);
    evidence.set(pack.id, why);
  };
  const { files } = walkFiles(paths, { extensions: [''], ignore, gitignore: false }, root);
  // The project's own manifest counts even when the audit names single files inside it.
  const manifest = path.join(root, 'package.json');
  for (const abs of files.includes(manifest) ? files : [manifest, ...files]) {
    const rel = path.relative(root, abs).split(path.sep).join('/');
    if (path.basename(abs) === 'package.json') {
      for (const dep of byContent(inputs, abs, 'platform-deps', '', () => dependencies(abs)))
        for (const pack of conditional)
          if (pack.uses!.packages?.some((p) => packageMatches(p, dep))) found(pack, `${rel} depends on ${dep}`);
      continue;
    }
    const format = deployFormat(abs);
    if (!format || !conditional.some((p) => p.uses!.env?.length && !applies.has(p.id))) continue;
    const known = scanned?.get(abs);
    let names: readonly string[];
    if (known && known.format === format) {
      if (known.mentionsPackSchema) continue;
      names = known.scan.vars.map((v: DeployScan['vars'][number]) => v.name);
    } else names = byContent(inputs, abs, 'platform-vars', format, () => variablesSet(abs, format));
    for (const name of names)
      for (const pack of conditional)
        if (pack.uses!.env?.some((prefix) => name.startsWith(prefix))) found(pack, `${rel} sets ${name}`);
  }
  return { applies, evidence };
}

/** `@scope/*` matches every package of the scope; anything else, the package itself. */
export function packageMatches(pattern: string, dependency: string): boolean {
  return pattern.endsWith('/*') ? dependency.startsWith(pattern.slice(0, -1)) : dependency === pattern;
}

/** `compute()` (a function of the file's content alone), remembered by that content when there is a store. */
function byContent<T>(inputs: InputStore | undefined, abs: string, section: string, kind: string, compute: () => T): T {
  const d = inputs?.digest(abs);
  // Unreadable (or no store): computed, which reads nothing or sees what it can.
  if (!inputs || !d) return compute();
  return inputs.remember(section, `${kind}\0${d.hash}`, compute);
}

/** The names of the variables a deployment file sets (none for a file naming the pack schema: a pack). */
function variablesSet(abs: string, format: DeployFormat): string[] {
  const text = readText(abs);
  if (text === undefined || text.includes('pack.schema.json')) return [];
  return scanDeployText(format, text).vars.map((v) => v.name);
}

function dependencies(file: string): string[] {
  const text = readText(file);
  if (text === undefined) return [];
  let json: unknown;
  try {
    json = parseJson(text);
  } catch {
    return []; // an unreadable package.json shows nothing; the resolver reports it where it matters
  }
  if (!json || typeof json !== 'object') return [];
  return DEPENDENCY_FIELDS.flatMap((f) => {
    const deps = (json as Record<string, unknown>)[f];
    return deps && typeof deps === 'object' ? Object.keys(deps) : [];
  });
}

/** The file's text, within the size limit every input has (an unreadable file shows nothing). */
function readText(file: string): string | undefined {
  const read = readSource(file);
  return read.ok ? read.text : undefined;
}
