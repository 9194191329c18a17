import path from 'node:path';
import ts from '../ts.js';
import { parseSource } from '../files/source.js';
import type { SourceHost } from '../code/source-host.js';
import type { DepNode, Facts } from '../code/fixpoint.js';
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
// What a fact can depend on: the nodes of its own file, and what it reaches of other files by
// following imports (a name resolves to its definition through imports, never the other way).
// Every way from one file's nodes to another's is a module resolution through the session's
// host (`resolveModule`: imports, re-exports, `require`, declared types), so the host tells the
// fact engine, at each one, that the computation in progress read the file it led into
// (`Facts.touch`); a read of a remembered answer (a fact, or a resolver's tracked memo) links the
// reader to what that answer read (src/code/fixpoint.ts). Each file's flow analysis runs as one
// such computation (its scope), and so does each file's registration of the members it replaces
// on objects it imports. When files change, the engine evicts exactly the computations that read
// something of them, directly or through others: a file's analysis is done again when it read
// something of a changed file, on the same parse when its own text is unchanged (its nodes, held
// by other files' facts, stay valid). Only the changed files are parsed again (new nodes: nothing
// remembered about the old ones is read again, since whatever reached them is evicted). A file
// that imports a changed one and read none of it keeps its facts; so does a file that reads an
// unchanged file that itself read the changed one, when what it read of that file did not (the
// integration tests that read a server's `app`, when a route the server mounts changes).
// Verdicts that need callers (resolveVerdicts, the ambient roots) are settled afresh on every
// analysis, for the files asked about, over structures kept per file where they are built from
// every file's facts: the call graph (callers, callback uses, escaped functions, value and typed
// edges: caller-index.ts), updated for the files whose facts are new objects, and the entry-point
// scan's pass over registrations, jobs and timers, replayed per file from a log while what the
// file read is unchanged, and its walks of each app's routes, kept while the registrations and mounts
// they walked and the facts they read are unchanged (roots/entry-points.ts). What is global (mounts,
// roots, reach) is gathered again from those at every analysis.
//
// A replaced parse goes with what was computed about its nodes: the engine lists every fact
// and tracked memo entry under the parse of its key's nodes, and the change evicts the old
// parse's (`Facts.forget`, with the file's scope and registration); what each analysis settles
// with (the settling's and the ambient reach's facts) is transient, dropped when it is done.
// What is still held per edit (issue 13: 6 MB an edit of signacare's 2,316-line route file
// after these, 10-12 MB before) is bounded by `worn`: the session is replaced once the text it
// analysed since it began passes twice its program's. Counted in characters, not files: what an
// edit leaves held grows with the file's text, and a count of files let an editor re-analyse
// that file about 1,300 times before replacing the session.

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
  /** Its analysis as the fact engine's dependency graph knows it: evicted when something it read changes. */
  scope?: DepNode;
  /** Whether the members it replaces on imported objects are registered (origins.ts), and what that read. */
  registered?: DepNode | true;
}

/** How many programs' worth of text a session analyses before it is replaced (see `worn`). */
const WEAR = 2;

export class AnalysisSession {
  private context: CoreContext;
  private host: SessionHost;
  /**
   * Every parse in the host, analysed or not: other files' facts may hold its nodes from the
   * moment it is placed, so a change drops it (and those files) whether or not it was analysed;
   * and a parse placed by an analysis cut short is the one the next analysis goes on with (a
   * parse of its own per lint would spend each lint's budget parsing the same files again).
   */
  private readonly placed = new Map<string, Placed>();
  /** Parses the session has dropped: facts about their nodes may be stale, so they are never analysed again. */
  private readonly retired = new WeakSet<ts.SourceFile>();
  /** Characters of source text analysed since the session began, and the largest program's (see `worn`). */
  private analysedChars = 0;
  private largest = 0;
  /** Files whose flow facts the last analysis computed (the others were kept): tests and the bench read it. */
  lastAnalysed: string[] = [];
  /** Files whose facts the last change dropped (the changed ones and those whose analysis read them): tests read it. */
  lastDropped: string[] = [];
  /** Of those, the files parsed again (their text changed); the others keep their parse. */
  lastReparsed: string[] = [];
  /** Set by the engine's evictions (onEvict of a scope or a registration), read by forgetChanged. */
  private readonly staleScopes = new Set<string>();
  private readonly staleRegistrations = new Set<string>();

  /** Whether the engine records dependencies (the graph costs CPU and memory in a run that never sees an edit). */
  private tracked = false;

  constructor(
    private readonly input: Omit<CoreInput, 'files' | 'wholeProgram' | 'types'> & {
      wholeProgram: boolean;
      /**
       * Whether to keep the dependency graph that lets an edit drop only what read it: yes in a
       * process that waits for its user (an editor), no on the command line, where files do not
       * change during the run. Asked again whenever the session starts over.
       */
      track?: () => boolean;
    },
  ) {
    this.host = new SessionHost(input.host);
    this.context = this.start();
  }

  private start(): CoreContext {
    const context = coreContext({ ...this.input, host: this.host });
    this.tracked = this.input.track?.() ?? true;
    if (this.tracked) {
      context.engine.trackDependencies(parseOf);
      this.host.engine = context.engine;
    }
    return context;
  }

  /** True once the session has analysed WEAR times its largest program's text: replace it to let go of stale facts. */
  get worn(): boolean {
    return this.analysedChars > WEAR * Math.max(this.largest, 1);
  }

  /** How many facts its engine holds (tests, the bench). */
  get heldFacts(): number {
    return this.context.engine.size;
  }

  /** Whether the session holds the facts of this text of a file (an analysis that includes it does not parse it). */
  knows(rel: string, hash: string): boolean {
    return this.placed.get(rel)?.hash === hash;
  }

  /** Whether it holds this text of a file analysed (an analysis cut short leaves the files it parsed placed only). */
  analysed(rel: string, hash: string): boolean {
    const placed = this.placed.get(rel);
    return placed?.hash === hash && placed.analysed !== undefined;
  }

  /** How many of these files the session holds the facts of (progress of an analysis cut short). */
  knownOf(files: readonly string[]): number {
    return files.filter((rel) => this.placed.get(rel)?.analysed).length;
  }

  analyse(program: SessionProgram): CoreResult | undefined {
    this.lastDropped = [];
    this.lastReparsed = [];
    this.forgetChanged(program);
    this.lastAnalysed = [];
    // Every file's parse is in the host before any is analysed: an import resolves to the
    // program's own parse of the file, never to a second copy read from disk.
    const entries: { rel: string; placed: Placed }[] = [];
    for (const rel of program.files) {
      const kept = this.placed.get(rel);
      if (kept) {
        entries.push({ rel, placed: kept });
        continue;
      }
      const file = program.current(rel);
      let sf = file?.sf();
      if (!file || !sf) continue;
      if (this.retired.has(sf)) sf = parseSource(sf.fileName, sf.text);
      this.host.put(sf);
      const placed: Placed = { hash: file.hash, sf };
      this.placed.set(rel, placed);
      entries.push({ rel, placed });
    }
    this.largest = Math.max(this.largest, entries.reduce((n, e) => n + e.placed.sf.text.length, 0));
    const { engine, origins } = this.context;
    useFiles(
      this.context,
      entries.map((e) => e.placed.sf),
      [],
    );
    // The members each file replaces on objects it imports, before any origin is asked for
    // (what a registration read is tracked: when that changes, it is done again).
    for (const { rel, placed } of entries) {
      if (placed.registered) continue;
      const node = engine.newNode(() => this.staleRegistrations.add(rel), placed.sf);
      engine.within(node, () => origins.registerForeignReplacements([placed.sf]));
      placed.registered = node ?? true;
    }
    const analysed: AnalysedFile[] = [];
    const report = program.report ? new Set<ts.SourceFile>() : undefined;
    for (const { rel, placed } of entries) {
      if (!placed.analysed) {
        if (program.late?.()) return undefined;
        const scope = engine.newNode(() => this.staleScopes.add(rel), placed.sf);
        placed.analysed = engine.within(scope, () => analyseFile(placed.sf, this.input, this.context));
        placed.scope = scope;
        this.analysedChars += placed.sf.text.length;
        this.lastAnalysed.push(rel);
      }
      analysed.push(placed.analysed);
      if (program.report?.has(rel)) report?.add(placed.sf);
    }
    return conclude({ ...this.input, files: analysed.map((a) => a.sf) }, this.context, analysed, report);
  }

  /**
   * Parses the changed files again, and drops the facts of every file whose analysis read
   * something of a changed one, directly or through other facts (the engine's evictions): those
   * files are analysed again on their own parse.
   */
  private forgetChanged(program: SessionProgram): void {
    const changed: string[] = [];
    for (const [rel, k] of this.placed) if (program.current(rel)?.hash !== k.hash) changed.push(rel);
    if (!changed.length) return;
    if (!this.tracked) {
      // No dependency graph (a command-line run, which a change reaches only through a look at
      // the project): start over, every parse retired, as a new session would.
      this.lastReparsed = this.lastDropped = [...this.placed.keys()];
      for (const k of this.placed.values()) this.retired.add(k.sf);
      this.placed.clear();
      this.host = new SessionHost(this.input.host);
      this.context = this.start();
      return;
    }
    const abs = (rel: string): string => path.resolve(this.placed.get(rel)!.sf.fileName);
    const { engine, origins } = this.context;
    this.staleScopes.clear();
    this.staleRegistrations.clear();
    const reregister = new Set<string>();
    // What was computed about the replaced parses' own nodes (their files' analyses and registrations included): no
    // later analysis asks about those nodes, and nothing else evicts it (it read no other file).
    engine.forget(changed.map((rel) => this.placed.get(rel)!.sf));
    // A registration that read a changed file is done again, and whatever read the members the
    // file registered is evicted with it (they touched the registering file): until nothing new.
    for (let files = changed.map(abs); files.length; ) {
      engine.invalidate(files);
      files = [];
      for (const rel of this.staleRegistrations)
        if (!reregister.has(rel)) (reregister.add(rel), files.push(abs(rel)));
    }
    const changedSet = new Set(changed);
    const gone = new Set<ts.SourceFile>();
    for (const rel of changed) {
      const k = this.placed.get(rel)!;
      gone.add(k.sf);
      this.retired.add(k.sf);
      this.host.drop(k.sf);
      this.placed.delete(rel);
    }
    for (const rel of reregister) {
      const k = this.placed.get(rel);
      if (!k) continue;
      gone.add(k.sf);
      k.registered = undefined;
    }
    if (gone.size) origins.forgetForeignFrom(gone);
    for (const rel of this.staleScopes) {
      const k = this.placed.get(rel);
      if (!k || changedSet.has(rel)) continue;
      k.analysed = undefined;
      k.scope = undefined;
    }
    this.lastReparsed = changed;
    this.lastDropped = [...new Set([...changed, ...[...this.staleScopes].filter((rel) => this.placed.has(rel))])];
  }
}

/** The parse a fact's key is a node of (the engine lists the fact under it: `Facts.forget`). */
function parseOf(key: unknown): ts.SourceFile | undefined {
  if (typeof key !== 'object' || key === null) return undefined;
  let node = key as ts.Node;
  if (typeof node.kind !== 'number' || typeof node.pos !== 'number') return undefined;
  while (node.kind !== ts.SyntaxKind.SourceFile) {
    if (!node.parent) return undefined;
    node = node.parent;
  }
  return node as ts.SourceFile;
}

/**
 * The session's files by absolute path, over a host that reads (and resolves) the rest; it
 * tells the fact engine which file each resolution led into (see the top of this file).
 */
class SessionHost implements SourceHost {
  private readonly files = new Map<string, ts.SourceFile>();
  /**
   * `path.resolve` of each path asked about: a flow analysis asks for the same few files thousands of times per lint,
   * and each resolve made new strings (a fifth of the bytes an edited file's flow allocated).
   */
  private readonly absolute = new Map<string, string>();
  engine: Facts | undefined;

  constructor(private readonly base: SourceHost) {}

  put(sf: ts.SourceFile): void {
    this.files.set(path.resolve(sf.fileName), sf);
  }

  /** Forgets a parse (its file's next parse is put in its place). */
  drop(sf: ts.SourceFile): void {
    const abs = path.resolve(sf.fileName);
    if (this.files.get(abs) === sf) this.files.delete(abs);
  }

  private resolved(file: string): string {
    let abs = this.absolute.get(file);
    if (abs === undefined) this.absolute.set(file, (abs = path.resolve(file)));
    return abs;
  }

  getSourceFile(absPath: string): ts.SourceFile | undefined {
    if (this.engine) this.engine.touch(this.resolved(absPath));
    return this.files.get(absPath) ?? this.base.getSourceFile(absPath);
  }

  resolveModule(fromFile: string, specifier: string): string | undefined {
    const target = this.base.resolveModule(fromFile, specifier);
    if (target && this.engine) this.engine.touch(this.resolved(target));
    return target;
  }

  libraryFor(fromFile: string, specifier: string): string | undefined {
    return this.base.libraryFor?.(fromFile, specifier);
  }
}
