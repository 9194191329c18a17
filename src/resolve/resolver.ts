import fs from 'node:fs';
import path from 'node:path';
import ts from '../ts.js';
import { prismaGeneratorOutputs } from './prisma-discover.js';
import { ResolutionFs } from './fs-host.js';
import { projectRootOf } from './workspaces.js';

// Module resolution as TypeScript does it: `ts.resolveModuleName` with the options of the
// importing file's nearest tsconfig.json (its `extends` chain, `paths`, `baseUrl`,
// `rootDirs`, `customConditions`), over the files on disk plus the workspace links an install
// would make (see fs-host.ts). package.json `exports` and `imports` are honoured by
// TypeScript itself. A result inside node_modules is a package, not project code: the
// analysis reads it as an external module (a database library, or nothing).

interface ProjectOptions {
  /** Option sets to try in order: the nearest tsconfig, then the projects it references. */
  candidates: ts.CompilerOptions[];
}

// One object (TypeScript's resolution caches are kept per option set), made at its first use: TypeScript is loaded
// only when a run needs it (scripts/bundle.ts).
let defaultOptions: ts.CompilerOptions | undefined;
const DEFAULT_OPTIONS = (): ts.CompilerOptions =>
  (defaultOptions ??= {
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    module: ts.ModuleKind.ESNext,
    allowJs: true,
  });

export class ModuleResolver {
  readonly fs = new ResolutionFs();
  private readonly resolutions = new Map<string, string | undefined>();
  private readonly projects = new Map<string, ProjectOptions>();
  private readonly configs = new Map<string, ts.CompilerOptions | null>();
  private readonly references = new Map<string, string[]>();
  /**
   * TypeScript's own cache per option set: a package found under node_modules is looked up once for every folder below.
   */
  private readonly tsCaches = new Map<ts.CompilerOptions, ts.ModuleResolutionCache>();

  /**
   * The project file a specifier names from a file, or undefined (a package, or not found). Cached per (folder,
   * specifier).
   */
  resolve(fromFile: string, specifier: string): string | undefined {
    const dir = path.dirname(fromFile);
    const key = `${dir}\0${specifier}`;
    if (this.resolutions.has(key)) return this.resolutions.get(key);
    const resolved = this.compute(fromFile, specifier);
    this.resolutions.set(key, resolved);
    return resolved;
  }

  private compute(fromFile: string, specifier: string): string | undefined {
    const project = this.projectOf(path.dirname(fromFile));
    for (const out of prismaGeneratorOutputs(projectRootOf(path.dirname(fromFile)))) this.fs.addGenerated(out);
    // The file's own options first; Bundler resolution as a fallback reads `exports` and
    // extensionless paths whatever module system the project declares.
    for (const options of this.attempts(project)) {
      let result: ts.ResolvedModuleWithFailedLookupLocations;
      try {
        result = ts.resolveModuleName(
          specifier,
          fromFile,
          options,
          this.fs,
          this.tsCache(options),
          undefined,
          ts.ModuleKind.ESNext,
        );
      } catch {
        continue; // a malformed package.json or tsconfig: try the next option set, then fail closed
      }
      const file = result.resolvedModule?.resolvedFileName;
      if (!file) continue;
      const real = this.projectFile(file);
      return real;
    }
    return undefined;
  }

  private readonly attemptLists = new Map<ProjectOptions, ts.CompilerOptions[]>();

  private attempts(project: ProjectOptions): ts.CompilerOptions[] {
    let list = this.attemptLists.get(project);
    if (!list) {
      const own = project.candidates.map(forResolution);
      const bundler = own
        .filter((o) => o.moduleResolution !== ts.ModuleResolutionKind.Bundler)
        .map((o) => ({ ...o, moduleResolution: ts.ModuleResolutionKind.Bundler, module: ts.ModuleKind.ESNext }));
      list = [...own, ...bundler];
      this.attemptLists.set(project, list);
    }
    return list;
  }

  private tsCache(options: ts.CompilerOptions): ts.ModuleResolutionCache {
    let cache = this.tsCaches.get(options);
    if (!cache) {
      cache = ts.createModuleResolutionCache(process.cwd(), (f) => f, options);
      this.tsCaches.set(options, cache);
    }
    return cache;
  }

  /** The source file behind a resolution: links and build outputs mapped back; node_modules means a package. */
  private projectFile(file: string): string | undefined {
    let real = this.fs.realpath(file);
    // A package built in the checkout still reads as its sources, where they are present.
    if (/\.d\.[cm]?ts$|\.[cm]?js$/.test(real)) real = this.fs.sourceOfOutput(real) ?? real;
    return real.split(path.sep).includes('node_modules') ? undefined : real;
  }

  /** The option sets of the nearest tsconfig.json above a folder (defaults when there is none). */
  private projectOf(dir: string): ProjectOptions {
    const hit = this.projects.get(dir);
    if (hit) return hit;
    let project: ProjectOptions;
    const here = path.join(dir, 'tsconfig.json');
    const options = fs.existsSync(here) ? this.configOptions(here) : undefined;
    if (options) {
      const referenced = (this.references.get(here) ?? [])
        .map((r) => this.configOptions(r))
        .filter((o): o is ts.CompilerOptions => !!o);
      project = { candidates: [options, ...referenced] };
    } else {
      const parent = path.dirname(dir);
      project = parent === dir ? { candidates: [DEFAULT_OPTIONS()] } : this.projectOf(parent);
    }
    this.projects.set(dir, project);
    return project;
  }

  /** A tsconfig's compiler options with its extends chain applied (extends from workspace packages too). */
  private configOptions(configPath: string): ts.CompilerOptions | undefined {
    const hit = this.configs.get(configPath);
    if (hit !== undefined) return hit ?? undefined;
    this.configs.set(configPath, null); // a reference cycle reads as no options
    let options: ts.CompilerOptions | null = null;
    try {
      const read = ts.readConfigFile(configPath, this.fs.readFile);
      if (!read.error && read.config) {
        const parsed = ts.parseJsonConfigFileContent(
          read.config,
          this.fs,
          path.dirname(configPath),
          undefined,
          configPath,
        );
        options = parsed.options;
        this.references.set(
          configPath,
          (parsed.projectReferences ?? []).map((r) =>
            r.path.endsWith('.json') ? r.path : path.join(r.path, 'tsconfig.json'),
          ),
        );
        // A referenced project's build output stands for its sources when it was never built.
        if (options.outDir) this.fs.addOutput(options.outDir, options.rootDir ?? path.dirname(configPath));
      }
    } catch {
      options = null;
    }
    this.configs.set(configPath, options);
    return options ?? undefined;
  }
}

function forResolution(options: ts.CompilerOptions): ts.CompilerOptions {
  const kind = options.moduleResolution;
  const modern =
    kind === ts.ModuleResolutionKind.Bundler ||
    kind === ts.ModuleResolutionKind.Node16 ||
    kind === ts.ModuleResolutionKind.NodeNext;
  return {
    ...options,
    allowJs: true,
    ...(modern ? {} : { moduleResolution: ts.ModuleResolutionKind.Bundler, module: ts.ModuleKind.ESNext }),
  };
}
