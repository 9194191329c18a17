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
// What a file's facts can depend on: its own text, and the files it reaches by following
// imports (a name resolves to its definition through imports, never the other way). Every
// way from one file's nodes to another's is a module resolution through the session's host
// (`resolveModule`: imports, re-exports, `require`, declared types), so the host records
// which file's import was followed into which file (`follows`), as the analysis asks,
// whichever file's analysis asked. When files change, the facts that may be stale are those
// of the changed files and of every file that *followed* an import into one of them,
// directly or through other such files. A file that imports a changed one without the
// analysis ever having read it (a side-effect import, an import whose names no fact needed)
// keeps its facts: none of them can hold a node of the old text. The dropped files are
// parsed again: new nodes, so nothing the engine remembered about the old ones is read
// again (keys are nodes). Every other file
// keeps its parse, its flow facts and the engine's facts about its nodes. Verdicts that need
// callers (resolveVerdicts, the ambient roots) are settled afresh on every analysis, over
// every file's facts, for the files asked about.
//
// A finer cut (keeping the importers that did read the changed file when what they read is
// unchanged) would need their facts' nodes of the old text mapped onto the new parse: the
// facts hold nodes (call edges' callees, handles' origins), not names.
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
  /** The files whose sites are settled and reported; every file's when absent. */
  report?: ReadonlySet<string>;
  /**
   * True once the caller's time is up: no further file is analysed and `analyse` returns
   * undefined (the files done are kept, so the next call goes on from there).
   */
  late?: () => boolean;
}

interface Placed {
  hash: string;
  sf: ts.SourceFile;
  /** Its flow facts, once analysed (an analysis cut short leaves files placed, read by others, not analysed). */
  analysed?: AnalysedFile;
}

/** How many programs' worth of files a session analyses before it is replaced (see `worn`). */
const WEAR = 3;

export class AnalysisSession {
  private readonly context: CoreContext;
  private readonly host: SessionHost;
  /**
   * Every parse in the host, analysed or not: other files' facts may hold its nodes from the
   * moment it is placed, so a change drops it (and those files) whether or not it was analysed;
   * and a parse placed by an analysis cut short is the one the next analysis goes on with (a
   * parse of its own per lint would spend each lint's budget parsing the same files again).
   */
  private readonly placed = new Map<string, Placed>();
  /** Parses the session has dropped: facts about their nodes may be stale, so they are never analysed again. */
  private readonly retired = new WeakSet<ts.SourceFile>();
  private analysedFiles = 0;
  private largest = 0;
  /** Files whose flow facts the last analysis computed (the others were kept): tests and the bench read it. */
  lastAnalysed: string[] = [];
  /** Files the last change dropped (the changed ones and those that had read them): tests read it. */
  lastDropped: string[] = [];

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
    return this.placed.get(rel)?.hash === hash;
  }

  /** How many of these files the session holds the facts of (progress of an analysis cut short). */
  knownOf(files: readonly string[]): number {
    return files.filter((rel) => this.placed.get(rel)?.analysed).length;
  }

  analyse(program: SessionProgram): CoreResult | undefined {
    this.lastDropped = [];
    this.forgetChanged(program);
    this.largest = Math.max(this.largest, program.files.length);
    this.lastAnalysed = [];
    // Every file's parse is in the host before any is analysed: an import resolves to the
    // program's own parse of the file, never to a second copy read from disk.
    const entries: { rel: string; hash: string; sf: ts.SourceFile; analysed?: AnalysedFile }[] = [];
    const added: ts.SourceFile[] = [];
    for (const rel of program.files) {
      const kept = this.placed.get(rel);
      if (kept) {
        entries.push({ rel, ...kept });
        continue;
      }
      const file = program.current(rel);
      let sf = file?.sf();
      if (!file || !sf) continue;
      if (this.retired.has(sf)) sf = parseSource(sf.fileName, sf.text);
      this.host.put(sf);
      this.placed.set(rel, { hash: file.hash, sf });
      entries.push({ rel, hash: file.hash, sf });
      added.push(sf);
    }
    useFiles(
      this.context,
      entries.map((e) => e.sf),
      added,
    );
    const analysed: AnalysedFile[] = [];
    const report = program.report ? new Set<ts.SourceFile>() : undefined;
    for (const e of entries) {
      if (!e.analysed) {
        if (program.late?.()) return undefined;
        e.analysed = analyseFile(e.sf, this.input, this.context);
        this.placed.set(e.rel, { hash: e.hash, sf: e.sf, analysed: e.analysed });
        this.analysedFiles++;
        this.lastAnalysed.push(e.rel);
      }
      analysed.push(e.analysed);
      if (program.report?.has(e.rel)) report?.add(e.sf);
    }
    return conclude({ ...this.input, files: analysed.map((a) => a.sf) }, this.context, analysed, report);
  }

  /**
   * Drops the files whose text changed and every placed file whose analysis followed an import
   * into a dropped one, transitively: their facts may hold nodes of the old text.
   */
  private forgetChanged(program: SessionProgram): void {
    const stale: string[] = [];
    for (const [rel, k] of this.placed) if (program.current(rel)?.hash !== k.hash) stale.push(rel);
    if (!stale.length) return;
    const relOf = new Map<string, string>();
    for (const [rel, k] of this.placed) relOf.set(path.resolve(k.sf.fileName), rel);
    const followers = this.host.followers();
    const dropped = new Set(stale);
    for (const queue = [...stale]; queue.length; ) {
      const abs = path.resolve(this.placed.get(queue.pop()!)!.sf.fileName);
      for (const by of followers.get(abs) ?? []) {
        const rel = relOf.get(by);
        if (rel !== undefined && !dropped.has(rel)) (dropped.add(rel), queue.push(rel));
      }
    }
    this.lastDropped = [...dropped];
    for (const rel of dropped) {
      const k = this.placed.get(rel)!;
      this.retired.add(k.sf);
      this.host.drop(k.sf);
      this.placed.delete(rel);
    }
  }
}

/**
 * The session's files by absolute path, over a host that reads (and resolves) the rest; it
 * records which file's imports were followed into which (see the top of this file).
 */
class SessionHost implements SourceHost {
  private readonly files = new Map<string, ts.SourceFile>();
  /** Absolute path of an importing file → the files its resolved imports led to. */
  private readonly follows = new Map<string, Set<string>>();

  constructor(private readonly base: SourceHost) {}

  put(sf: ts.SourceFile): void {
    this.files.set(path.resolve(sf.fileName), sf);
  }

  /** Forgets a parse: its file's resolutions are recorded again when its next parse follows them. */
  drop(sf: ts.SourceFile): void {
    const abs = path.resolve(sf.fileName);
    if (this.files.get(abs) === sf) this.files.delete(abs);
    this.follows.delete(abs);
  }

  /** Who followed an import into each file (the reverse of `follows`). */
  followers(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [from, tos] of this.follows) for (const to of tos) (out.get(to) ?? out.set(to, []).get(to)!).push(from);
    return out;
  }

  getSourceFile(absPath: string): ts.SourceFile | undefined {
    return this.files.get(absPath) ?? this.base.getSourceFile(absPath);
  }

  resolveModule(fromFile: string, specifier: string): string | undefined {
    const target = this.base.resolveModule(fromFile, specifier);
    if (target) {
      const from = path.resolve(fromFile);
      (this.follows.get(from) ?? this.follows.set(from, new Set()).get(from)!).add(path.resolve(target));
    }
    return target;
  }

  libraryFor(fromFile: string, specifier: string): string | undefined {
    return this.base.libraryFor?.(fromFile, specifier);
  }
}
