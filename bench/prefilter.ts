// npm run bench:prefilter -- DIR
// How much a file-level pre-check could skip on a repository: an upper bound, measured before
// building one (issue 15, "do less"). It is an estimate, not a filter: nothing here decides
// what the audit analyses.
//
// A file can matter to the report on its own only if its text names something database
// code is made of: a supported library's module specifier, a method an adapter runs SQL,
// opens a transaction or connects with (`.query(`, `.$transaction(`…), a builder write verb
// of any adapter (`.insert(`, `.create(`, `.deleteFrom(`…), an AsyncLocalStorage, or an
// rls-guard comment. Those are the seeds. Such a check is optimistic (the real one must
// also cover configured libraries, helper names and setter functions), so what it skips is
// an upper bound of what a sound one could skip.
//
// A file without any of them still matters when it is linked to one by imports: it calls a
// helper that writes through its parameter (its callers decide the verdict), registers a
// route whose handler writes (an ambient entry point), or defines a function a seed calls
// with a callback or a connection (its callback uses). So the files kept are the seeds, the
// files that import them (transitively), and the files those import (transitively),
// resolved with the audit's own module resolver.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { adapters } from '../src/adapters/index.js';
import { FileSystemSourceHost } from '../src/code/source-host.js';
import { SOURCE_EXTENSIONS } from '../src/files/source.js';
import { loadConfig } from '../src/config/load.js';
import { walkFiles } from '../src/files/walk.js';

const dirArg = process.argv[2];
if (!dirArg) throw new Error('usage: prefilter.ts DIR');
const dir = path.resolve(dirArg);

const methods = new Set<string>([
  // builder write verbs of the adapters (drizzle, knex, kysely, prisma, typeorm)
  'insert', 'update', 'delete', 'del', 'upsert', 'increment', 'decrement', 'merge', 'truncate',
  'insertInto', 'replaceInto', 'updateTable', 'deleteFrom', 'mergeInto',
  'create', 'createMany', 'createManyAndReturn', 'updateMany', 'updateManyAndReturn', 'deleteMany',
  'save', 'remove', 'softDelete', 'softRemove', 'restore', 'recover', 'clear', 'into', 'table', 'from',
]);
const specifiers = new Set<string>();
for (const a of adapters) {
  for (const m of a.modules) specifiers.add(m);
  for (const k of Object.keys(a.queryMethods)) methods.add(k);
  for (const k of Object.keys(a.transactionMethods ?? {})) methods.add(k);
  for (const k of Object.keys(a.transactionControl ?? {})) methods.add(k);
  for (const list of [a.tagMethods, a.connectMethods, a.sequenceMethods, a.savepointMethods, a.passthroughMethods, a.connectionCallbacks, a.builderCallbacks, a.fragmentMethods]) for (const m of list ?? []) methods.add(m);
}
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const seedPattern = new RegExp(
  [`\\.\\s*(?:${[...methods].map(escape).join('|')})\\b`, `['"\`](?:${[...specifiers].map(escape).join('|')})['"\`/]`, 'AsyncLocalStorage', 'rls-guard'].join('|'),
);

const t = performance.now();
const config = loadConfig({ start: dir }).config;
const files = walkFiles([dir], { extensions: SOURCE_EXTENSIONS, ignore: config.ignore ?? [] }, dir).files.filter((f) => SOURCE_EXTENSIONS.some((e) => f.endsWith(e)));
const host = new FileSystemSourceHost();
const bytes = new Map<string, number>();
const seeds = new Set<string>();
const imports = new Map<string, string[]>();
const importers = new Map<string, string[]>();
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  bytes.set(file, text.length);
  if (seedPattern.test(text)) seeds.add(file);
  const targets: string[] = [];
  for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
    const target = host.resolveModule(file, ref.fileName);
    if (target && target !== file) targets.push(target);
  }
  imports.set(file, targets);
  for (const target of targets) importers.set(target, [...(importers.get(target) ?? []), file]);
}
const closure = (start: Iterable<string>, next: Map<string, string[]>): Set<string> => {
  const seen = new Set(start);
  const stack = [...seen];
  while (stack.length) for (const n of next.get(stack.pop()!) ?? []) if (!seen.has(n)) seen.add(n), stack.push(n);
  return seen;
};
const up = closure(seeds, importers);
const kept = closure(up, imports);
const inCorpus = (set: Set<string>): string[] => files.filter((f) => set.has(f));
const sum = (list: string[]): number => list.reduce((n, f) => n + (bytes.get(f) ?? 0), 0);
const total = sum(files);
const share = (list: string[]): { files: number; bytesShare: number } => ({ files: list.length, bytesShare: Math.round((sum(list) / total) * 1000) / 1000 });
console.log(JSON.stringify({
  dir,
  files: files.length,
  seeds: share(inCorpus(seeds)),
  seedsAndImporters: share(inCorpus(up)),
  kept: share(inCorpus(kept)),
  skippable: share(files.filter((f) => !kept.has(f))),
  ms: Math.round(performance.now() - t),
}, null, 2));
