import path from 'node:path';
import type ts from 'typescript';
import { parseSource } from '../files/source.js';
import type { SourceHost } from '../code/source-host.js';
import {
  analyseFile,
  type AnalysedFile,
  conclude,
  type CoreContext,
  coreContext,
  useFiles,
  type CoreInput,
  type CoreResult,
} from './index.js';

// An analysis kept between lints of a long-lived process (an editor's ESLint server,
// eslint_d): the fact engine, the resolvers and every file's flow facts stay, and a lint
// after an edit recomputes only what the edit can have changed.
//
// What a file's facts can depend on: its own text, and what it reaches by following imports
// (a name resolves to its definition through imports, never the other way). So when files
// change, the facts that may be stale are those of the changed files and of every file that
// imports one of them, directly or not. Those files are parsed again: new nodes, so nothing
// the engine remembered about the old ones is read again (keys are nodes). Every other file
// keeps its parse, its flow facts and the engine's facts about its nodes, which cannot have
// read a changed file. Verdicts that need callers (resolveVerdicts, the ambient roots) are
// settled afresh on every analysis, over every file's facts, for the files asked about.
//
// Facts about nodes that are no longer analysed stay in the engine until the session is
// replaced: `worn` says when what it analysed since it began passes a few times its program,
// so the memory held is bounded by a constant times one analysis.

/** One project file as the session's caller knows it now. */
export interface SessionFile {
  /** Content hash of the text the analysis must see (the editor's unsaved text for the linted file). */
  hash: string;
  /** Its parse (the caller may keep parses; one the session has discarded is parsed again). */
  sf: () => ts.SourceFile | undefined;
}

export interface SessionProgram {
  /** Root-relative paths of the files analysed as one program. */
  files: readonly string[];
  /** Every file the session may know, now: undefined when it is gone. */
  current: (rel: string) => SessionFile | undefined;
  /** Root-relative paths of the files a file imports (the same module resolution as the analysis). */
  importsOf: (rel: string) => readonly string[];
  /** The files whose sites are settled and reported; every file's when absent. */
  report?: ReadonlySet<string>;
  /**
   * True once the caller's time is up: no further file is analysed and `analyse` returns
   * undefined (the files done are kept, so the next call goes on from there).
   */
  late?: () => boolean;
}

interface Known {
  hash: string;
  sf: ts.SourceFile;
  analysed: AnalysedFile;
}

/** How many programs' worth of files a session analyses before it is replaced (see `worn`). */
const WEAR = 3;

export class AnalysisSession {
  private readonly context: CoreContext;
  private readonly host: SessionHost;
  private readonly known = new Map<string, Known>();
  /** Parses the session has dropped: facts about their nodes may be stale, so they are never analysed again. */
  private readonly retired = new WeakSet<ts.SourceFile>();
  private analysedFiles = 0;
  private largest = 0;
  /** Files whose flow facts the last analysis computed (the others were kept): tests and the bench read it. */
  lastAnalysed: string[] = [];

  constructor(private readonly input: Omit<CoreInput, 'files' | 'wholeProgram' | 'types'> & { wholeProgram: boolean }) {
    this.host = new SessionHost(input.host);
    this.context = coreContext({ ...input, host: this.host });
  }

  /** True once the session has analysed WEAR times its largest program: replace it to let go of stale facts. */
  get worn(): boolean {
    return this.analysedFiles > WEAR * Math.max(this.largest, 1);
  }

  /** Whether the session holds the facts of this text of a file (an analysis that includes it does not parse it). */
  knows(rel: string, hash: string): boolean {
    return this.known.get(rel)?.hash === hash;
  }

  /** How many of these files the session holds the facts of (progress of an analysis cut short). */
  knownOf(files: readonly string[]): number {
    return files.filter((rel) => this.known.has(rel)).length;
  }

  analyse(program: SessionProgram): CoreResult | undefined {
    this.forgetChanged(program);
    this.largest = Math.max(this.largest, program.files.length);
    this.lastAnalysed = [];
    // Every file's parse is in the host before any is analysed: an import resolves to the
    // program's own parse of the file, never to a second copy read from disk.
    const entries: { rel: string; hash: string; sf: ts.SourceFile; analysed?: AnalysedFile }[] = [];
    for (const rel of program.files) {
      const kept = this.known.get(rel);
      if (kept) {
        entries.push({ rel, ...kept });
        continue;
      }
      const file = program.current(rel);
      let sf = file?.sf();
      if (!file || !sf) continue;
      if (this.retired.has(sf)) sf = parseSource(sf.fileName, sf.text);
      this.host.put(sf);
      entries.push({ rel, hash: file.hash, sf });
    }
    useFiles(
      this.context,
      entries.map((e) => e.sf),
      entries.filter((e) => !e.analysed).map((e) => e.sf),
    );
    const analysed: AnalysedFile[] = [];
    const report = program.report ? new Set<ts.SourceFile>() : undefined;
    for (const e of entries) {
      if (!e.analysed) {
        if (program.late?.()) return undefined;
        e.analysed = analyseFile(e.sf, this.input, this.context);
        this.known.set(e.rel, { hash: e.hash, sf: e.sf, analysed: e.analysed });
        this.analysedFiles++;
        this.lastAnalysed.push(e.rel);
      }
      analysed.push(e.analysed);
      if (program.report?.has(e.rel)) report?.add(e.sf);
    }
    return conclude({ ...this.input, files: analysed.map((a) => a.sf) }, this.context, analysed, report);
  }

  /**
   * Drops the files whose text changed and every known file that imports one of them,
   * transitively: their facts may have read the old text.
   */
  private forgetChanged(program: SessionProgram): void {
    const stale: string[] = [];
    for (const [rel, k] of this.known) if (program.current(rel)?.hash !== k.hash) stale.push(rel);
    if (!stale.length) return;
    const importers = new Map<string, string[]>();
    for (const rel of this.known.keys())
      for (const to of program.importsOf(rel)) (importers.get(to) ?? importers.set(to, []).get(to)!).push(rel);
    const dropped = new Set(stale);
    for (const queue = [...stale]; queue.length; )
      for (const by of importers.get(queue.pop()!) ?? []) if (!dropped.has(by)) (dropped.add(by), queue.push(by));
    for (const rel of dropped) {
      const k = this.known.get(rel);
      if (!k) continue;
      this.retired.add(k.sf);
      this.host.drop(k.sf);
      this.known.delete(rel);
    }
  }
}

/** The session's files by absolute path, over a host that reads (and resolves) the rest. */
class SessionHost implements SourceHost {
  private readonly files = new Map<string, ts.SourceFile>();

  constructor(private readonly base: SourceHost) {}

  put(sf: ts.SourceFile): void {
    this.files.set(path.resolve(sf.fileName), sf);
  }

  drop(sf: ts.SourceFile): void {
    const abs = path.resolve(sf.fileName);
    if (this.files.get(abs) === sf) this.files.delete(abs);
  }

  getSourceFile(absPath: string): ts.SourceFile | undefined {
    return this.files.get(absPath) ?? this.base.getSourceFile(absPath);
  }

  resolveModule(fromFile: string, specifier: string): string | undefined {
    return this.base.resolveModule(fromFile, specifier);
  }

  libraryFor(fromFile: string, specifier: string): string | undefined {
    return this.base.libraryFor?.(fromFile, specifier);
  }
}
