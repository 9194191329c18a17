import path from 'node:path';
import { readSource } from '../files/source.js';
import { moduleReferences } from '../files/module-references.js';
import type { SourceHost } from '../code/source-host.js';
import { sha } from '../files/code-stamp.js';
import { containerReach } from './container-reach.js';

// The module graph the cache reasons with: per file, its content hash and the files it
// imports (imports, re-exports, require, import(), read by the scanner without a parse,
// resolved as the analysis resolves them). The analysis reads other files only through these
// edges (an imported helper, constant or pool) or through callers, which import what they
// call; so the files a file's results can depend on are found here (see docs/cache.md).

export interface Node {
  /** Content hash. */
  hash: string;
  /** Files it imports, root-relative (POSIX), or absolute when outside the root. */
  imports: string[];
}

/** A node's state: its content and where its imports lead. A dependency is unchanged only when both are. */
export function stateOf(node: Node): string {
  // Asked for every node when the cache is checked and again when it is saved: hashed once per node (a node is not
  // changed once in the graph).
  let state = states.get(node);
  if (state === undefined) states.set(node, (state = sha(`${node.hash}\n${node.imports.join('\n')}`)));
  return state;
}

const states = new WeakMap<Node, string>();

/**
 * Records a node's state as the cache wrote it, for a node built from the edges the cache recorded with that state
 * (the same content hash, the same list): the hash would be the same, and is not computed again (3,000 hashes a run).
 */
export function knownState(node: Node, state: string): void {
  states.set(node, state);
}

/**
 * Listed among a file's imports when the file may hold something the NestJS container reads (src/analysis/providers/
 * nest-di.ts reads it from every file of the program): a provider literal (its `provide` member), an `@OnEvent`
 * listener, `ClsModule.forRoot`, the transactional adapter's `prismaInjectionToken`, TypeORM's `migrationsRun` (the one
 * connection that applies the migrations owns their tables: judge33, read from `TypeOrmModule.forRootAsync` or a
 * `new DataSource` anywhere in the program), Effect's `Layer.succeed(Tag, …)` and kin (providers/effect-layers.ts
 * reads them from every file the same way). No path has a NUL, so it names no file; being an edge, it is recorded
 * and compared with the file's other edges, and the files holding it are its importers.
 */
export const CONTAINER = '\0nest-container';
/**
 * Prefixes an edge to what a file's provider literals name (container-reach.ts): the container's reading reaches
 * it.
 */
const REACH = '\0nest-reach:';

/**
 * Listed among a file's imports when it imports routing-controllers: its server call (`useExpressServer(app, {
 * controllers: [path.join(__dirname, 'ops/*.controller.ts')] })`) can load controllers and middlewares by a file glob,
 * which no import names, and the controllers and middlewares import routing-controllers' decorators and interfaces. So
 * every such file counts as an importer of every other (importerClosure): a controller's routes, and so its writes'
 * verdicts, come from a server file that never imports it.
 */
export const ROUTING_CONTROLLERS = '\0routing-controllers';

/**
 * The names the container's reading starts from, as words of the text (a comment that mentions one costs a re-analysis,
 * never a verdict). Not SQL: a file's source text.
 */
const CONTAINER_WORDS =
  /\b(?:provide|OnEvent|forRoot(?:Async)?|prismaInjectionToken|migrationsRun|provideService(?:Effect)?)\b|\bLayer\./;

export class ModuleGraph {
  readonly nodes = new Map<string, Node>();
  private importersOf: Map<string, string[]> | undefined;

  constructor(
    private readonly root: string,
    private readonly host: SourceHost,
    /** Edges known from an earlier run, by file, valid while the content hash and the resolution key hold. */
    private readonly known: (rel: string, hash: string) => string[] | undefined,
  ) {}

  /**
   * Adds the audited files, then what they import from outside the listed files (not packages): those are read by the
   * analysis too.
   */
  build(files: readonly { rel: string; readonly text: string; hash: string }[]): this {
    // `text` may be read lazily (sources.ts): it is asked for only when the edges are not known.
    for (const f of files) this.add(f.rel, f.hash, () => f.text);
    const queue = [...this.nodes.values()].flatMap((n) => n.imports);
    while (queue.length) {
      const rel = queue.pop()!;
      if (this.nodes.has(rel) || rel.startsWith('\0')) continue;
      const read = readSource(this.abs(rel));
      // An import the analysis could not read either: a node with no content, so a later read differs.
      const node = read.ok
        ? this.add(rel, sha(read.text), () => read.text)
        : this.setNode(rel, { hash: 'unreadable', imports: [] });
      queue.push(...node.imports);
    }
    return this;
  }

  abs(rel: string): string {
    return path.isAbsolute(rel) ? rel : path.join(this.root, rel);
  }

  private add(rel: string, hash: string, text: () => string): Node {
    const imports = this.known(rel, hash) ?? this.scan(rel, text());
    return this.setNode(rel, { hash, imports });
  }

  private setNode(rel: string, node: Node): Node {
    this.nodes.set(rel, node);
    this.importersOf = undefined;
    return node;
  }

  private scan(rel: string, text: string): string[] {
    const from = this.abs(rel);
    const out = new Set<string>();
    const resolve = (specifier: string): string | undefined => {
      const target = this.host.resolveModule(from, specifier);
      // A package is read as a library, never as code the analysis follows.
      if (!target || target.split(path.sep).includes('node_modules')) return undefined;
      const r = path.relative(this.root, target);
      return r.startsWith('..') || path.isAbsolute(r) ? target : r.split(path.sep).join('/');
    };
    for (const specifier of moduleReferences(from, text)) {
      const to = resolve(specifier);
      if (to !== undefined) out.add(to);
      else if (specifier === 'routing-controllers' || specifier.startsWith('routing-controllers/'))
        out.add(ROUTING_CONTROLLERS);
    }
    if (CONTAINER_WORDS.test(text)) {
      out.add(CONTAINER);
      // What the container's reading of this file reaches: recorded as edges of their own (REACH + the file, or
      // REACH + '*': every import), which name no file either.
      const reach = containerReach(from, text);
      if (reach === '*') out.add(`${REACH}*`);
      else for (const specifier of reach) {
        const to = resolve(specifier);
        if (to !== undefined) out.add(`${REACH}${to}`);
      }
    }
    return [...out].sort();
  }

  /**
   * What a file whose analysis read the NestJS container depends on besides its own imports: the files that may declare
   * what the container holds, and what their provider literals name, with what that imports (a factory's function, a
   * token's constant); every import of a file whose literals name something this does not place.
   */
  containerClosure(): Set<string> {
    const declaring = this.importers().get(CONTAINER) ?? [];
    const reached: string[] = [];
    for (const rel of declaring) {
      const edges = this.nodes.get(rel)?.imports ?? [];
      if (edges.includes(`${REACH}*`)) reached.push(...edges);
      else for (const e of edges) if (e.startsWith(REACH)) reached.push(e.slice(REACH.length));
    }
    const out = this.importClosure(reached);
    for (const rel of declaring) out.add(rel);
    return out;
  }

  importers(): Map<string, string[]> {
    if (this.importersOf) return this.importersOf;
    const map = new Map<string, string[]>();
    for (const [rel, node] of this.nodes)
      for (const to of node.imports) (map.get(to) ?? map.set(to, []).get(to)!).push(rel);
    return (this.importersOf = map);
  }

  /** `start` and everything it imports, transitively: what a file decided on its own reads. */
  importClosure(start: Iterable<string>): Set<string> {
    return walk(start, (r) => this.nodes.get(r)?.imports ?? []);
  }

  /** `start` and everything that imports it, transitively: where its functions' callers can be. */
  importerClosure(start: Iterable<string>): Set<string> {
    const importers = this.importers();
    const routing = importers.get(ROUTING_CONTROLLERS) ?? [];
    return walk(start, (r) => {
      const own = importers.get(r) ?? [];
      return routing.length && this.nodes.get(r)?.imports.includes(ROUTING_CONTROLLERS) ? [...own, ...routing] : own;
    });
  }
}

function walk(start: Iterable<string>, next: (rel: string) => readonly string[]): Set<string> {
  const seen = new Set(start);
  const queue = [...seen];
  while (queue.length) {
    for (const n of next(queue.pop()!)) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}
