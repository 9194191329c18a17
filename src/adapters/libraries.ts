import { adapterForModule } from './index.js';

// Library aliases: a module the config says is one of the supported libraries under another
// name (a published fork such as `@acme/slonik-fork`, an `npm:slonik@…` alias, an in-house
// wrapper). The analysis reads its imports exactly as the library's own, so adapters never
// learn about forks.

export type LibraryAliases = Readonly<Record<string, string>>;

/** The supported module a specifier stands for under the aliases (`@acme/slonik/x` → `slonik/x`), if any. */
export function aliasedLibrary(aliases: LibraryAliases | undefined, specifier: string): string | undefined {
  if (!aliases) return undefined;
  for (const [alias, library] of Object.entries(aliases)) {
    if (specifier === alias) return library;
    if (specifier.startsWith(`${alias}/`)) return library + specifier.slice(alias.length);
  }
  return undefined;
}

/** True when a module specifier loads a supported database library (its own name, not an alias). */
export function isLibraryModule(specifier: string): boolean {
  return adapterForModule(specifier) !== undefined;
}
