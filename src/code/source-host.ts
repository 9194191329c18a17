import path from 'node:path';
import ts from '../ts.js';
import { DEFAULT_MAX_FILE_BYTES, parseSource, readSource, SOURCE_EXTENSIONS } from '../files/source.js';
import { isFile } from '../files/walk.js';
import { aliasedLibrary, type LibraryAliases } from '../adapters/libraries.js';
import { prismaClientModule } from '../resolve/prisma-clients.js';
import { ModuleResolver } from '../resolve/resolver.js';

// Parses each file once and resolves imports as TypeScript would (src/resolve/) without a
// TypeScript program, so a bare checkout (no node_modules, no install) can be audited.

export interface SourceHost {
  /** The parsed file, or undefined when it cannot be read or is not source. */
  getSourceFile(absPath: string): ts.SourceFile | undefined;
  /** Absolute path of the project module a specifier names, or undefined for packages and misses. */
  resolveModule(fromFile: string, specifier: string): string | undefined;
  /**
   * The supported library a specifier is read as, when it is not the library's own name: a
   * configured alias (`libraries`), or the folder a Prisma client was generated into.
   */
  libraryFor?(fromFile: string, specifier: string): string | undefined;
}

export class FileSystemSourceHost implements SourceHost {
  private readonly files = new Map<string, ts.SourceFile | undefined>();
  /**
   * Resolutions per folder and specifier (what a resolution reads of the importing file is its folder), the folder of
   * each importing file remembered: no string is made per import followed.
   */
  private readonly resolutions = new Map<string, Map<string, string | undefined>>();
  private readonly folders = new Map<string, Map<string, string | undefined>>();
  /** libraryFor's answers, per (folder, specifier) as resolutions are: it was asked once per import followed. */
  private readonly libraries_ = new Map<string, string | undefined>();
  private readonly resolver = new ModuleResolver();

  constructor(
    preparsed: Iterable<ts.SourceFile> = [],
    private readonly libraries?: LibraryAliases,
    private readonly maxBytes: number = DEFAULT_MAX_FILE_BYTES,
  ) {
    for (const sf of preparsed) this.files.set(path.resolve(sf.fileName), sf);
  }

  libraryFor(fromFile: string, specifier: string): string | undefined {
    // What it reads of `fromFile` is its folder (a relative specifier, the project root, the resolution).
    const key = `${path.dirname(fromFile)}\0${specifier}`;
    if (this.libraries_.has(key)) return this.libraries_.get(key);
    const library = libraryFor(this.libraries, fromFile, specifier, (f, s) => this.resolveModule(f, s));
    this.libraries_.set(key, library);
    return library;
  }

  getSourceFile(absPath: string): ts.SourceFile | undefined {
    if (this.files.has(absPath)) return this.files.get(absPath);
    const read = readSource(absPath, this.maxBytes);
    const sf = read.ok ? parseSource(absPath, read.text) : undefined;
    this.files.set(absPath, sf);
    return sf;
  }

  resolveModule(fromFile: string, specifier: string): string | undefined {
    let known = this.folders.get(fromFile);
    if (!known) {
      const dir = path.dirname(fromFile);
      if (!(known = this.resolutions.get(dir))) this.resolutions.set(dir, (known = new Map()));
      this.folders.set(fromFile, known);
    }
    if (known.has(specifier)) return known.get(specifier);
    let resolved = this.resolver.resolve(fromFile, specifier);
    // TypeScript does not resolve .mjs/.cjs siblings of a .js specifier, nor files its
    // options leave out (allowJs off); the plain relative lookup still finds them.
    if (!resolved && (specifier.startsWith('.') || path.isAbsolute(specifier))) {
      resolved = resolveRelative(
        path.resolve(path.dirname(fromFile), specifier),
        (f) => this.files.has(f) || isFile(f),
      );
    }
    known.set(specifier, resolved);
    return resolved;
  }
}

/** A configured alias first; else a relative or aliased import of a generated Prisma client. */
export function libraryFor(
  libraries: LibraryAliases | undefined,
  fromFile: string,
  specifier: string,
  resolve?: (fromFile: string, specifier: string) => string | undefined,
): string | undefined {
  return aliasedLibrary(libraries, specifier) ?? prismaClientModule(fromFile, specifier, resolve);
}

function resolveRelative(base: string, exists: (f: string) => boolean): string | undefined {
  const candidates: string[] = [];
  // ESM TypeScript imports name the emitted .js file; the source is .ts.
  const jsMatch = /\.(m|c)?jsx?$/.exec(base);
  if (jsMatch) {
    const stem = base.slice(0, -jsMatch[0].length);
    const m = jsMatch[1] ?? '';
    candidates.push(`${stem}.${m}ts`, `${stem}.tsx`);
  }
  candidates.push(base);
  for (const ext of SOURCE_EXTENSIONS) candidates.push(base + ext);
  for (const ext of SOURCE_EXTENSIONS) candidates.push(path.join(base, `index${ext}`));
  return candidates.find(exists);
}
