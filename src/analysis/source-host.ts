import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
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

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
/** Files larger than this are skipped (and reported as incomplete) unless the config's `maxFileBytes` says otherwise. */
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;

export function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (file.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[mc]?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

export function parseSource(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone }, true, scriptKind(file));
}

export type ReadOutcome = { ok: true; text: string } | { ok: false; reason: string };

/** Reads a source file, refusing huge and binary files with a reason instead of throwing. */
export function readSource(file: string, maxBytes: number = DEFAULT_MAX_FILE_BYTES): ReadOutcome {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return { ok: false, reason: 'not a regular file' };
    if (stat.size > maxBytes) return { ok: false, reason: tooLarge(stat.size, maxBytes) };
    const text = decodeSource(fs.readFileSync(file));
    // Only after decoding: UTF-16 text is full of NUL bytes and is still source.
    if (text.includes('\0')) return { ok: false, reason: 'skipped: binary file (NUL characters after decoding)' };
    return { ok: true, text };
  } catch (error) {
    // Node reads directory entries as UTF-8: a name that is not UTF-8 comes back with U+FFFD
    // in it and no longer names the file.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && path.basename(file).includes('\uFFFD')) return { ok: false, reason: 'unreadable: its name is not valid UTF-8, so it cannot be opened by that name; rename it' };
    return { ok: false, reason: `unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

export function tooLarge(size: number, maxBytes: number): string {
  return `skipped: ${size} bytes is over the maxFileBytes limit of ${maxBytes} bytes`;
}

/**
 * Bytes to text as TypeScript's own `sys.readFile` does: a UTF-16 BOM (either byte order)
 * selects UTF-16, a UTF-8 BOM is dropped, anything else is UTF-8.
 */
export function decodeSource(buffer: Buffer): string {
  if (buffer.length >= 2 && buffer[0] === 0xfe && buffer[1] === 0xff) {
    // swap16 needs an even length; a dangling last byte is no character anyway.
    const swapped = Buffer.from(buffer.subarray(2, 2 + ((buffer.length - 2) & ~1)));
    return swapped.swap16().toString('utf16le');
  }
  if (buffer.length >= 2 && buffer[0] === 0xff && buffer[1] === 0xfe) return buffer.toString('utf16le', 2);
  if (buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) return buffer.toString('utf8', 3);
  return buffer.toString('utf8');
}

export class FileSystemSourceHost implements SourceHost {
  private readonly files = new Map<string, ts.SourceFile | undefined>();
  private readonly resolutions = new Map<string, string | undefined>();
  private readonly resolver = new ModuleResolver();

  constructor(
    preparsed: Iterable<ts.SourceFile> = [],
    private readonly libraries?: LibraryAliases,
    private readonly maxBytes: number = DEFAULT_MAX_FILE_BYTES,
  ) {
    for (const sf of preparsed) this.files.set(path.resolve(sf.fileName), sf);
  }

  libraryFor(fromFile: string, specifier: string): string | undefined {
    return libraryFor(this.libraries, fromFile, specifier, (f, s) => this.resolveModule(f, s));
  }

  add(sf: ts.SourceFile): void {
    this.files.set(path.resolve(sf.fileName), sf);
  }

  getSourceFile(absPath: string): ts.SourceFile | undefined {
    if (this.files.has(absPath)) return this.files.get(absPath);
    const read = readSource(absPath, this.maxBytes);
    const sf = read.ok ? parseSource(absPath, read.text) : undefined;
    this.files.set(absPath, sf);
    return sf;
  }

  resolveModule(fromFile: string, specifier: string): string | undefined {
    const key = `${path.dirname(fromFile)}\0${specifier}`;
    if (this.resolutions.has(key)) return this.resolutions.get(key);
    let resolved = this.resolver.resolve(fromFile, specifier);
    // TypeScript does not resolve .mjs/.cjs siblings of a .js specifier, nor files its
    // options leave out (allowJs off); the plain relative lookup still finds them.
    if (!resolved && (specifier.startsWith('.') || path.isAbsolute(specifier))) {
      resolved = resolveRelative(path.resolve(path.dirname(fromFile), specifier), (f) => this.files.has(f) || isFile(f));
    }
    this.resolutions.set(key, resolved);
    return resolved;
  }
}

/** A configured alias first; else a relative or aliased import of a generated Prisma client. */
export function libraryFor(libraries: LibraryAliases | undefined, fromFile: string, specifier: string, resolve?: (fromFile: string, specifier: string) => string | undefined): string | undefined {
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
