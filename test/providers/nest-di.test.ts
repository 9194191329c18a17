import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prismaGeneratorOutputs } from '../../src/resolve/prisma-discover.js';
import { auditSync } from '../../src/walker/audit.js';

// NestJS dependency injection (src/code/injected.ts, src/analysis/providers/nest-di.ts): the
// fixture app fixtures/providers/nest-di carries the `// expect:` verdicts; these cases pin
// the evidence each verdict must name.

const APP = path.resolve(import.meta.dirname, '../../fixtures/providers/nest-di');
const report = auditSync({ paths: [APP], types: false, schemaSource: 'static' });
const site = (line: number) => report.writeSites.find((s) => s.file === 'src/projects.service.ts' && s.line === line)!;

describe('a client provided by token through nestjs-cls', () => {
  it('names the provider chain: adapter token, provider, factory, extension and the setting it sets', () => {
    const s = site(23);
    expect(s.coverage).toBe('org-scope');
    expect(s.evidence).toContain('prismaInjectionToken TENANT_CLIENT at src/app.module.ts:19');
    expect(s.evidence).toContain('TENANT_CLIENT (provided at src/tenant-client.ts:31) → tenantClientFactory (src/tenant-client.ts:5)');
    expect(s.evidence).toContain('which sets app.current_org_id (src/tenant-client.ts:13) when the CLS holds `ORG_ID`');
    expect(s.evidence).toContain('`nestjs-cls ORG_ID` was entered at src/projects.controller.ts:17');
  });

  it('is unscoped from a route that never puts the org in the CLS, naming that route', () => {
    const s = site(29);
    expect(s.coverage).toBe('unscoped');
    expect(s.evidence).toMatch(/^unscoped when reached from the NestJS route POST \/projects\/:id\/archive, ProjectsController\.archive/);
    expect(s.evidence).toContain('nothing on this path entered `nestjs-cls ORG_ID`');
    // The other route, and the handler that puts the org in the CLS there.
    expect(s.evidence).toMatch(
      /org-scope from 1 route \(the NestJS route POST \/projects\/:id\/rename, ProjectsController\.rename \(src\/projects\.controller\.ts:15\)\) where `ProjectsController.rename` enters `nestjs-cls ORG_ID` \(src\/projects\.controller\.ts:17\)$/,
    );
  });

  it('runs a raw query on the client the $allModels hook extends', () => {
    expect(site(43).evidence).toContain('a model-operation hook, which a raw query such as');
  });

  it('follows useExisting and useFactory decoys to what they provide', () => {
    expect(site(36).evidence).toContain('SCOPED_ALIAS (provided at src/app.module.ts:29), an alias of TENANT_CLIENT');
    expect(site(70).evidence).toMatch(/^runs on PLAIN_CLIENT \(provided at src\/app\.module\.ts:30\) → useFactory/);
  });

  it('reads a method of the injected PrismaService as the scope helper it is, with no declaration', () => {
    expect(site(49)).toMatchObject({ coverage: 'org-scope', via: 'withOrg' });
  });
});

describe('NestJS events', () => {
  const listener = (line: number) => report.writeSites.find((s) => s.file === 'src/project-events.ts' && s.line === line)!;

  it('runs an @OnEvent listener during the emit, in the context of the route that emitted it', () => {
    expect(listener(20)).toMatchObject({ coverage: 'org-scope', via: 'tenantClientFactory' });
    expect(listener(27).coverage).toBe('unscoped');
    expect(listener(27).evidence).toMatch(/^unscoped when reached from the NestJS route POST \/projects\/:id\/archive, ProjectsController\.archive \(src\/projects\.controller\.ts:24\) → onArchived\(\)/);
  });
});

describe('Prisma generator outputs', () => {
  it('counts only client generators: a DTO generator writing into src/ leaves the app its own code', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlsg-gen-'));
    try {
      fs.mkdirSync(path.join(dir, 'prisma'));
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"x"}');
      fs.writeFileSync(
        path.join(dir, 'prisma/schema.prisma'),
        'generator client {\n  provider = "prisma-client-js"\n  output = "../generated/client"\n}\n' +
          'generator dto {\n  provider = "prisma-generator-nestjs-dto"\n  output = "../src"\n}\n' +
          'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      );
      expect(prismaGeneratorOutputs(dir)).toEqual([path.join(dir, 'generated/client')]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('passport guards (src/analysis/roots/nest.ts)', () => {
  const guarded = (line: number) => report.writeSites.find((s) => s.file === 'src/guarded.service.ts' && s.line === line)!;

  it("enters what the strategy's validate() sets, directly or through an @OnEvent listener of an event it emits", () => {
    expect(guarded(13).coverage).toBe('org-scope');
    expect(guarded(13).evidence).toContain('`nestjs-cls ORG_ID` was entered at src/auth/jwt.strategy.ts:14');
    expect(guarded(19).coverage).toBe('org-scope');
    expect(guarded(19).evidence).toContain('`nestjs-cls ORG_ID` was entered at src/auth/key.strategy.ts:20');
  });

  it('enters nothing from a set under a presence check: the branch where it did not run is the verdict', () => {
    expect(guarded(25).coverage).toBe('unscoped');
    expect(guarded(25).evidence).toContain('nothing on this path entered `nestjs-cls ORG_ID`');
  });

  it('follows no strategy the codebase does not define', () => {
    expect(guarded(37).evidence).toContain('nothing on this path entered `nestjs-cls ORG_ID`');
  });
});
