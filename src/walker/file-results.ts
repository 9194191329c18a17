import type ts from 'typescript';
import { type AmbientProvider, analyze, type CoreResult } from '../analysis/index.js';
import type { AnalysisConfig } from '../analysis/config.js';
import { FileSystemSourceHost } from '../code/source-host.js';
import { toPosixRelative as rel } from '../files/paths.js';
import { parseSource } from '../files/source.js';
import { phase } from '../files/phase-timer.js';
import { findSuppressions } from '../report/suppressions.js';
import type { FileResult } from '../cache/store.js';
import type { LibraryAliases } from '../adapters/libraries.js';
import { packAudit } from '../packs/audit.js';
import type { PackSet } from '../packs/load.js';
import { otherDatabaseOf } from '../report/other-database.js';
import type { RlsModel } from '../schema/types.js';
import type { TypeEvidence } from '../analysis/type-evidence.js';
import { createTypedProgram } from './typed-program.js';
import { siteFindings } from '../analysis/site-checks.js';
import { collectAfterAnalysis } from '../files/collect.js';
import { RULES, severityOf } from '../../rules/index.js';

// One whole-program analysis of a set of files, cut into what each wanted file contributes
// to the report. The audit assembles its report from these per-file results, whether they
// were computed now or read from the cache, so a cached, sharded or scoped audit reports
// exactly what a full one does for the same files.

export interface AnalyseInput {
  root: string;
  /** The files analysed together: the wanted ones and what their verdicts need. */
  files: readonly { file: string; text: string }[];
  /** Root-relative paths whose results are wanted. */
  want: ReadonlySet<string>;
  /**
   * Only the wanted files' flow is walked; the others are parsed and read as their imports (analysis/index.ts,
   * `walk`). For wanted files none of which has a write waiting on callers (src/cache/incremental.ts checks it).
   */
  walkWantedOnly?: boolean;
  model: RlsModel;
  config: AnalysisConfig;
  libraries: LibraryAliases | undefined;
  maxBytes: number | undefined;
  typed: boolean;
  /** The pack rules to scan source with; none for init's proposal audit. */
  packs: PackSet | undefined;
  paths: string[];
  ignore: readonly string[];
  onParsed?: (parsed: number, total: number) => void;
  onAnalyse?: (files: number) => void;
  /** Hands over the parsed files (init reads their imports). */
  onFiles?: (files: readonly ts.SourceFile[]) => void;
  /** Hands over the middleware the entry points run behind (init lists them). */
  onAmbient?: (providers: AmbientProvider[]) => void;
}

export interface AnalyseOutput {
  results: Map<string, FileResult>;
  /** About the run, not a file (the type checker could not be used). */
  diagnostics: { file: string; message: string }[];
  work: CoreResult['work'];
}

export function analyseFiles(input: AnalyseInput): AnalyseOutput {
  const { root, want } = input;
  const diagnostics: AnalyseOutput['diagnostics'] = [];
  const results = new Map<string, FileResult>();
  const blank = (): FileResult => ({
    sites: [],
    findings: [],
    gaps: [],
    settings: [],
    pending: false,
    packFindings: [],
    suppressions: [],
    packGaps: [],
  });
  const of = (file: string): FileResult | undefined =>
    want.has(file) ? (results.get(file) ?? results.set(file, blank()).get(file)!) : undefined;
  for (const rel of want) of(rel);
  // Each file is parsed once: by ts-morph when the checker is wanted, else directly.
  let files: ts.SourceFile[];
  let types: TypeEvidence | undefined;
  phase('parse');
  const typed = input.typed ? typedOrNot(root, input.files.map((r) => r.file), diagnostics) : undefined;
  if (typed) {
    files = typed.files;
    input.onParsed?.(files.length, input.files.length);
    types = typed.types;
  } else {
    files = input.files.flatMap((r, i) => {
      input.onParsed?.(i + 1, input.files.length);
      try {
        return [parseSource(r.file, r.text)];
      } catch (error) {
        // TypeScript's own parser recurses: a few thousand nested brackets overflow its stack.
        const reason =
          error instanceof RangeError
            ? 'cannot be parsed: it nests deeper than the TypeScript parser can follow; none of its writes were checked'
            : `not parsed (${(error as Error).message}); none of its writes were checked`;
        const mine = of(rel(root, r.file));
        if (mine) mine.parseError = reason;
        return [];
      }
    });
  }
  input.onFiles?.(files);
  const host = new FileSystemSourceHost(files, input.libraries, input.maxBytes);
  input.onAnalyse?.(files.length);
  const result = analyze({
    root,
    files,
    host,
    model: input.model,
    config: input.config,
    wholeProgram: true,
    ...(types ? { types } : {}),
    ...(input.onAmbient ? { ambientProviders: true } : {}),
    ...(input.walkWantedOnly ? { walk: new Set(files.filter((sf) => want.has(rel(root, sf.fileName)))) } : {}),
  });
  // The analysis's engine and its garbage are collected before the report's phases grow the heap on top of them.
  collectAfterAnalysis(input.files.reduce((n, f) => n + f.text.length, 0));
  phase('site checks, suppressions, source packs');
  if (input.onAmbient) input.onAmbient(result.ambientProviders ?? []);
  for (const site of result.sites) of(site.file)?.sites.push(site);
  for (const f of result.findings) of(f.file)?.findings.push(f);
  for (const gap of result.incomplete) of(gap.file)?.gaps.push(gap);
  for (const [file, facts] of result.perFile ?? []) {
    const mine = of(file);
    if (mine) Object.assign(mine, { settings: facts.settings.sort(), pending: facts.pending });
  }
  // Which file's facts asked the container is not tracked (facts are shared between files): every file of a run that
  // read it is taken to depend on it, which errs on the side of re-analysing.
  if (result.readContainer) {
    for (const r of results.values()) {
      r.container = true;
      if (result.containerEmpty) r.containerEmpty = true;
    }
  }
  // The rules that judge a decided site (no-unbounded-write parses its SQL) run here, once per analysis of the file:
  // their findings are kept with the file's, so a re-audit that reuses the file's results parses none of its SQL.
  const checks = new Map(
    RULES.flatMap((r) =>
      r.check && severityOf(r.id, input.config.strict) !== 'off' ? [[r.id, r.check] as const] : [],
    ),
  );
  for (const r of results.values()) r.findings.push(...siteFindings(r.sites, checks));
  const wanted = files.filter((sf) => want.has(rel(root, sf.fileName)));
  for (const sf of wanted) of(rel(root, sf.fileName))!.suppressions = findSuppressions(sf);
  if (input.packs) {
    const packs = packAudit({
      root,
      paths: input.paths,
      ignore: input.ignore,
      packs: input.packs,
      sourceFiles: wanted,
      deploy: false,
    });
    for (const f of packs.findings) of(f.file)?.packFindings.push(f);
    for (const d of packs.diagnostics)
      of(d.file)?.packGaps.push({ message: d.message, ...(d.incomplete ? { incomplete: true } : {}) });
  }
  for (const sf of wanted) {
    const other = otherDatabaseOf(sf);
    if (other) of(rel(root, sf.fileName))!.otherDatabase = other;
  }
  return { results, diagnostics, work: result.work };
}

/**
 * The ts-morph program, or undefined when building it failed (code nested too deeply for its
 * recursive parser): the files are then parsed one by one, and a file that still fails is
 * reported on its own.
 */
function typedOrNot(
  root: string,
  files: string[],
  diagnostics: AnalyseOutput['diagnostics'],
): ReturnType<typeof createTypedProgram> | undefined {
  try {
    const typed = createTypedProgram(root, files);
    if (!typed.missing.length) return typed;
    // A file the program left out would be a file whose writes nobody reads: all are read without types instead.
    const some = typed.missing.slice(0, 3).map((f) => rel(root, f)).join(', ');
    const more = typed.missing.length > 3 ? ` and ${typed.missing.length - 3} more` : '';
    diagnostics.push({
      file: '.',
      message: `the type checker could not be used: its program left out ${some}${more} (the project's compiler ` +
        'options exclude them); the files were analysed without types',
    });
    return undefined;
  } catch (error) {
    diagnostics.push({
      file: '.',
      message: `the type checker could not be used ` +
        `(${error instanceof RangeError ? 'some code is nested too deeply' : (error as Error).message}); the files ` +
        `were analysed without types`,
    });
    return undefined;
  }
}
