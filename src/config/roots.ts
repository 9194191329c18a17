import path from 'node:path';
import { isFile } from '../files/walk.js';
import type { LoadedConfig } from './load.js';
import type { RlsGuardConfig } from './types.js';

// Which folder is audited, and what a config's relative paths mean.
//  - A config found by walking up from the audited path is the project's own: its folder is
//    the root (so `rls-guard audit src` audits the project with its migrations).
//  - A config named with --config whose folder holds the audited path is the same: the
//    project's own config, named explicitly (`audit apps/api --config rls-guard.config.json`).
//  - Any other config named with --config leaves the root alone: the audited folder is the
//    root, so a config kept outside a fork (a fork you do not own) audits the fork.
//  - Paths inside a config resolve against the config's folder, unless that folder is outside
//    the audited tree: then against the root, as the config describes the audited repository.

export interface AuditRoots {
  root: string;
  /** The folder the config's relative paths (migrations, packs, schemaSnapshot, prismaSchema) resolve against. */
  configBase: string;
  /** The config with those paths made absolute against configBase. */
  config: RlsGuardConfig;
}

export function auditRoots(loaded: LoadedConfig, firstPath: string, explicitConfig: boolean): AuditRoots {
  const audited = isFile(firstPath) ? path.dirname(firstPath) : firstPath;
  const root = explicitConfig && !isInside(audited, loaded.dir) ? audited : loaded.dir;
  const configBase = isInside(loaded.dir, root) ? loaded.dir : root;
  return { root, configBase, config: rebase(loaded.config, configBase) };
}

export function isInside(dir: string, root: string): boolean {
  const rel = path.relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function rebase(config: RlsGuardConfig, base: string): RlsGuardConfig {
  const abs = (p: string): string => path.resolve(base, p);
  return {
    ...config,
    ...(config.migrations ? { migrations: config.migrations.map(abs) } : {}),
    ...(config.packs ? { packs: config.packs.map(abs) } : {}),
    ...(config.prismaSchema ? { prismaSchema: config.prismaSchema.map(abs) } : {}),
    ...(config.schemaSnapshot ? { schemaSnapshot: abs(config.schemaSnapshot) } : {}),
  };
}
