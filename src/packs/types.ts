import type { Severity } from '../report/types.js';

// A data pack: the removed APIs, deprecated environment variables and headers of one
// platform version, as data (rules/packs/*.json, checked against rules/packs/pack.schema.json).

export type EntryKind = 'api' | 'env' | 'header' | 'client' | 'field';
export type EntryStatus = 'removed' | 'deprecated' | 'renamed' | 'requires' | 'retained';

export interface PackEntry {
  name: string;
  kind: EntryKind;
  status: EntryStatus;
  replacement?: string | string[] | null;
  /** The version the change happened in. */
  version: string;
  /** For deprecations: the version that will reject it. */
  removedIn?: string;
  reason: string;
  source: string;
  /** Only flag the variable when it holds one of these values (compared case-insensitively). */
  when?: { values: string[] };
  /** For status "requires": the variable that must be set in the same deployment file. */
  requires?: string;
  /** For status "requires": no finding when this variable has one of these values. */
  unless?: { name: string; values: string[] };
  /** For kind "api": only imports from these modules (or their subpaths) match. */
  modules?: string[];
  /** For kind "field": a case-insensitive pattern the object's name must match. */
  objectPattern?: string;
}

export interface PackUses {
  /** npm packages a package.json depends on; `@scope/*` for a whole scope. */
  packages?: string[];
  /** Prefixes of environment variables a deployment file sets. */
  env?: string[];
}

export interface Pack {
  id: string;
  platform: string;
  version: string;
  title: string;
  source: string;
  includes?: string[];
  /** How a codebase shows it runs on the platform: with it, the pack applies only where one shows (platform-use.ts). */
  uses?: PackUses;
  entries: PackEntry[];
}

/** An entry as the rules use it: with its pack (the severity is its rule's, rules/<id>.ts). */
export interface ActiveEntry extends PackEntry {
  pack: string;
  platform: string;
}

export type PackRuleId = 'no-removed-api' | 'no-deprecated-env' | 'no-deprecated-header';

export function ruleFor(kind: EntryKind): PackRuleId {
  if (kind === 'env') return 'no-deprecated-env';
  if (kind === 'header') return 'no-deprecated-header';
  return 'no-removed-api';
}

/** Normalises a configured value for comparison: quotes and surrounding blanks do not count. */
export function normalizeValue(value: string): string {
  return value.trim().replace(/^(['"])(.*)\1$/s, '$2').trim().toLowerCase();
}

export function valueMatches(values: readonly string[], value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = normalizeValue(value);
  return values.some((x) => normalizeValue(x) === v);
}
