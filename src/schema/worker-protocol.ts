import type { Catalog } from './catalog.js';
import type { MigrationFile } from './model.js';
import type { ReplayResult } from './replay.js';

export type WorkerRequest = { kind: 'replay'; files: MigrationFile[] } | { kind: 'database'; url: string };

export type WorkerResponse =
  | { ok: true; kind: 'replay'; result: ReplayResult }
  | { ok: true; kind: 'database'; result: { catalog: Catalog; durationMs: number } }
  | { ok: false; error: string };
