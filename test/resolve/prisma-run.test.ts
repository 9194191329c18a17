import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prismaGeneratorOutputs } from '../../src/resolve/prisma-discover.js';
import { prismaModels } from '../../src/adapters/prisma-schema.js';
import { withSharedWalks } from '../../src/files/walk.js';
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
