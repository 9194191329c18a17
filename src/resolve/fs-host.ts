import fs from 'node:fs';
import path from 'node:path';
import type ts from 'typescript';
import { isFile } from '../files/walk.js';
import { isDir, workspaceOf } from './workspaces.js';

// The files TypeScript's module resolution sees: the disk, plus what an install would have
// added. In a bare checkout nothing is installed, so
//  - each workspace package appears under the workspace root's node_modules (as the
//    package manager would link it), and
//  - a package's build output (`dist/index.js` in its exports or main) that was never
//    built stands for the source it is built from (`src/index.ts`).
// Nothing else is invented: a dependency that is not a workspace package stays missing,
// and the analysis treats it as an external package.

/** Folders a package's exports commonly point into, mapped to `src/` when absent. */
const OUTPUT_DIRS = ['dist', 'build', 'lib', 'out'];

export class ResolutionFs implements ts.ModuleResolutionHost {
  private readonly exists = new Map<string, boolean>();
  private readonly dirs = new Map<string, boolean>();
  /** Output folder → source folder, from workspace packages and tsconfig outDir/rootDir pairs. */
  private readonly outputs = new Map<string, string>();

  /** Folders a code generator writes into (Prisma clients): present for resolution even when not generated yet. */
  private readonly generated = new Set<string>();

  addGenerated(dir: string): void {
    this.generated.add(dir);
  }

  /** A TypeScript module under a generated folder, or the folder itself, stands for what the generator writes. */
  private isGenerated(p: string, kind: 'file' | 'dir'): boolean {
    for (const dir of this.generated) {
      // The folders above it exist too, once generated.
      if (p === dir || dir.startsWith(p + path.sep)) return kind === 'dir';
      if (p.startsWith(dir + path.sep)) return kind === 'dir' || /\.(d\.)?[cm]?ts$/.test(p);
    }
    return false;
  }

  /** Records that `outDir` is built from `srcDir` (a tsconfig's outDir and rootDir). */
  addOutput(outDir: string, srcDir: string): void {
    if (!this.outputs.has(outDir)) this.outputs.set(outDir, srcDir);
  }

  fileExists = (file: string): boolean => {
    let hit = this.exists.get(file);
    if (hit === undefined) {
      const real = this.toReal(file);
      hit = (real !== undefined && isFile(real)) || this.isGenerated(file, 'file');
      this.exists.set(file, hit);
    }
    return hit;
  };

  readFile = (file: string): string | undefined => {
    const real = this.toReal(file);
    try {
      return real ? fs.readFileSync(real, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  };

  directoryExists = (dir: string): boolean => {
    let hit = this.dirs.get(dir);
    if (hit === undefined) {
      hit =
        isDir(dir) ||
        this.isVirtualDir(dir) ||
        (this.toReal(dir) !== undefined && isDir(this.toReal(dir)!)) ||
        this.isGenerated(dir, 'dir');
      this.dirs.set(dir, hit);
    }
    return hit;
  };

  realpath = (file: string): string => {
    if (isFile(file) || isDir(file)) {
      try {
        return fs.realpathSync(file);
      } catch {
        return file;
      }
    }
    return this.toReal(file) ?? file;
  };

  getCurrentDirectory = (): string => process.cwd();

  getDirectories = (dir: string): string[] => {
    try {
      return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      return [];
    }
  };

  useCaseSensitiveFileNames = true;

  /** For tsconfig parsing: only the options matter, never the file list. */
  readDirectory = (): string[] => [];

  /**
   * The file on disk a path stands for: itself when it exists, a workspace package's file
   * for its place under node_modules, a source file for a build output that was never built.
   */
  toReal(p: string): string | undefined {
    if (isFile(p) || isDir(p)) return p;
    const linked = this.linkedPackagePath(p);
    if (linked && (isFile(linked) || isDir(linked))) return linked;
    return this.sourceOfOutput(linked ?? p);
  }

  /** `<ws>/node_modules/@acme/db/x` → `<ws>/packages/db/x` for a workspace package `@acme/db`. */
  private linkedPackagePath(p: string): string | undefined {
    const marker = `${path.sep}node_modules${path.sep}`;
    const at = p.lastIndexOf(marker);
    if (at < 0) return undefined;
    const ws = workspaceOf(p.slice(0, at) || path.sep);
    if (!ws || ws.root !== (p.slice(0, at) || path.sep)) return undefined;
    const rest = p.slice(at + marker.length).split(path.sep).join('/');
    for (const pkg of ws.packages) {
      if (rest === pkg.name || rest.startsWith(`${pkg.name}/`)) {
        this.registerPackageOutputs(pkg.dir);
        return path.join(pkg.dir, rest.slice(pkg.name.length));
      }
    }
    return undefined;
  }

  private registerPackageOutputs(dir: string): void {
    const src = path.join(dir, 'src');
    if (!isDir(src)) return;
    for (const out of OUTPUT_DIRS) this.addOutput(path.join(dir, out), src);
  }

  /**
   * The source a build output is made from: `dist/x.js` → `src/x.ts`, `dist/x.d.ts` → `src/x.ts`, else the same
   * name
   * under `src/`.
   */
  sourceOfOutput(p: string): string | undefined {
    for (const [out, src] of this.outputs) {
      if (p !== out && !p.startsWith(out + path.sep)) continue;
      const rest = p.slice(out.length);
      const base = path.join(src, rest);
      // A built file (.js, .d.ts) stands for the TypeScript it was compiled from.
      const built = /\.d\.([cm]?)ts$/.exec(base) ?? /\.([cm]?)js$/.exec(base);
      const stem = built ? base.slice(0, -built[0].length) : base;
      const candidates = built ? [`${stem}.${built[1]}ts`, `${stem}.tsx`, base] : [base];
      const found = candidates.find((c) => isFile(c) || isDir(c));
      if (found) return found;
    }
    return undefined;
  }

  /** `<ws>/node_modules` and `<ws>/node_modules/@scope` exist once a workspace has packages there. */
  private isVirtualDir(dir: string): boolean {
    const marker = `${path.sep}node_modules`;
    const at = dir.lastIndexOf(marker);
    if (at < 0) return false;
    const wsRoot = dir.slice(0, at) || path.sep;
    const ws = workspaceOf(wsRoot);
    if (!ws || ws.root !== wsRoot) return false;
    const rest = dir.slice(at + marker.length).replace(/^[\\/]/, '').split(path.sep).join('/');
    return ws.packages.some((pkg) => rest === '' || pkg.name === rest || pkg.name.startsWith(`${rest}/`));
  }
}
