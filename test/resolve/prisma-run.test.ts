import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prismaGeneratorOutputs } from '../../src/resolve/prisma-discover.js';
import { prismaModels } from '../../src/adapters/prisma-schema.js';
import { withSharedWalks } from '../../src/files/walk.js';
import { workspaceOf } from '../../src/resolve/workspaces.js';
import { writeProject } from '../support/project.js';

// The Prisma lookups look at the disk again once a second of wall time, for the ESLint plugin's
// long-lived process. Within one audit they look once: a cold audit of a workspace rediscovered
// every package's schema once a second (3 % of its CPU, more on a loaded machine, where a second
// of wall time buys less work).

const schema = (output: string, model: string): string =>
  `generator client {\n  provider = "prisma-client-js"\n  output = "${output}"\n}\nmodel ${model} {\n  id Int @id\n}\n`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Prisma lookups within one run', () => {
  it('keep the answer for the span of a run, and look again outside one', () => {
    const root = writeProject({ 'package.json': '{"name":"p"}', 'prisma/schema.prisma': schema('../gen/one', 'Alpha') });
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    withSharedWalks(() => {
      expect(prismaGeneratorOutputs(root)).toEqual([path.join(root, 'gen/one')]);
      expect([...prismaModels(root)!.keys()]).toEqual(['alpha']);
      fs.writeFileSync(path.join(root, 'prisma/schema.prisma'), schema('../gen/two', 'Beta'));
      now += 5000;
      expect(prismaGeneratorOutputs(root)).toEqual([path.join(root, 'gen/one')]);
      expect([...prismaModels(root)!.keys()]).toEqual(['alpha']);
    });
    now += 5000;
    expect(prismaGeneratorOutputs(root)).toEqual([path.join(root, 'gen/two')]);
    expect([...prismaModels(root)!.keys()]).toEqual(['beta']);
  });
});

describe('Prisma schema discovery in a workspace', () => {
  // The ESLint plugin has a project per package root; each root's look searched every package
  // of the workspace again (midday: about thirty packages). The search is the workspace's, once
  // per interval for all its roots, and a schema edited or added anywhere is seen after it.
  it('asks the disk once per look for all package roots, and sees an edited or new schema after the interval', () => {
    const ws = writeProject({
      'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['packages/*'] }),
      'packages/a/package.json': '{"name":"a"}',
      'packages/b/package.json': '{"name":"b"}',
      'packages/db/package.json': '{"name":"db"}',
      'packages/db/prisma/schema.prisma': schema('../gen/db', 'Alpha'),
    });
    const a = path.join(ws, 'packages/a');
    const b = path.join(ws, 'packages/b');
    // Which workspace each root is in is read once per process (workspaces.ts), not part of a look.
    expect(workspaceOf(a)?.root).toBe(ws);
    expect(workspaceOf(b)?.root).toBe(ws);
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    // Disk asks about package b's folder (its manifest, prisma.config.*, candidate schema paths): the search of one
    // package, which every root of the workspace needs.
    const underB = (p: unknown): boolean => typeof p === 'string' && p.startsWith(b + path.sep);
    let asks = 0;
    const count = (p: unknown): void => {
      if (underB(p)) asks++;
    };
    const stat = fs.statSync.bind(fs);
    const read = fs.readFileSync.bind(fs);
    vi.spyOn(fs, 'statSync').mockImplementation(((p: fs.PathLike, o?: fs.StatSyncOptions) => {
      count(p);
      return stat(p, o);
    }) as typeof fs.statSync);
    vi.spyOn(fs, 'readFileSync').mockImplementation(((p: fs.PathOrFileDescriptor, o?: unknown) => {
      count(p);
      return read(p, o as BufferEncoding);
    }) as typeof fs.readFileSync);
    const look = (roots: string[]): number => {
      asks = 0;
      for (const root of roots) {
        expect([...prismaModels(root)!.keys()].sort()).toEqual(models);
        expect([...prismaGeneratorOutputs(root)].sort()).toEqual(outputs);
      }
      return asks;
    };
    let models = ['alpha'];
    let outputs = [path.join(ws, 'packages/db/gen/db')];
    const one = look([a]);
    expect(one).toBeGreaterThan(0);
    now += 1500;
    // Two roots (and both lookups of each) cost what one root's first lookup did.
    expect(look([a, b])).toBe(one);

    const dbSchema = path.join(ws, 'packages/db/prisma/schema.prisma');
    fs.writeFileSync(dbSchema, schema('../gen/db', 'Alpha') + 'model Delta {\n  id Int @id\n}\n');
    fs.utimesSync(dbSchema, new Date(), new Date(Date.now() + 10_000));
    fs.mkdirSync(path.join(b, 'prisma'));
    fs.writeFileSync(path.join(b, 'prisma/schema.prisma'), schema('../gen/b', 'Gamma'));
    now += 500;
    // Within the interval: the last answer.
    expect(look([a, b])).toBe(0);
    now += 1000;
    models = ['alpha', 'delta', 'gamma'];
    outputs = [path.join(ws, 'packages/b/gen/b'), path.join(ws, 'packages/db/gen/db')];
    look([a, b]);
  });
});
