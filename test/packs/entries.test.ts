import { messageOf } from '../../rules/render.js';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../src/files/source.js';
import { deployFindings } from '../../src/packs/deploy/check.js';
import { scanDeployText } from '../../src/packs/deploy/formats.js';
import type { DeployFormat } from '../../src/packs/deploy/types.js';
import { scanCode } from '../../src/packs/code.js';
import { builtinPacks, loadPacks } from '../../src/packs/load.js';
import { matcherFor } from '../../src/packs/matcher.js';
import { ruleFor, type PackEntry } from '../../src/packs/types.js';

// Every entry of every built-in pack: a case that finds it and look-alikes that stay
// clean (a name sharing its prefix, the name in a comment or a log line, another value).
// Retained entries are the look-alikes of the removed ones: never flagged.

const matcher = matcherFor(loadPacks(process.cwd()));

const code = (text: string) => scanCode(parseSource('/virtual/case.ts', text), matcher);
const deploy = (format: DeployFormat, text: string) => deployFindings(`case.${format}`, scanDeployText(format, text), matcher);

/** Code findings of this entry. */
const codeHits = (e: PackEntry, text: string) => code(text).filter((m) => m.entry.name === e.name && m.entry.kind === e.kind);
/** Deployment findings that name this entry. */
const deployHits = (e: PackEntry, format: DeployFormat, text: string) => deploy(format, text).filter((f) => f.ruleId === ruleFor(e.kind) && messageOf(f).includes(e.name));

const otherValue = (values: string[]) => (values.includes('yes-not-this') ? 'no-not-this' : 'yes-not-this');

for (const pack of builtinPacks()) {
  describe(`pack ${pack.id}`, () => {
    for (const e of pack.entries) {
      const title = `${e.name} (${e.kind}, ${e.status}${e.when ? ` when ${e.when.values.join('|')}` : ''})`;
      if (e.status === 'retained') {
        it(`${title} is never flagged`, () => {
          expect(code(`import { ${/^[A-Za-z_$][\w$]*$/.test(e.name) ? e.name : 'x'} } from 'pkg';\nexport const v = process.env.${e.name};\nexport const w = process.env['${e.name}'];`).filter((m) => m.entry.name === e.name && !m.entry.when)).toEqual([]);
          expect(deploy('dotenv', `${e.name}=some-value\n`).filter((f) => messageOf(f).startsWith(`Environment variable ${e.name} `))).toEqual([]);
        });
        continue;
      }
      switch (e.kind) {
        case 'api':
          it(`${title} is found where it is imported, called and defined`, () => {
            expect(codeHits(e, `import { ${e.name} } from '@platform/sdk';\nexport const x = ${e.name}(pool);`)).toHaveLength(2);
            expect(codeHits(e, `import * as sdk from '@platform/sdk';\nsdk.${e.name}(pool);`)).toHaveLength(1);
            expect(codeHits(e, `export function ${e.name}(pool, fn) { return fn(pool); }`)).toHaveLength(1);
          });
          it(`${title}: look-alikes stay clean`, () => {
            expect(codeHits(e, `import { ${e.name}Config } from '@platform/sdk';\n// ${e.name}(pool) was removed\nconsole.log('${e.name} is gone');\nexport const x = { ${e.name}: true, y: '${e.name}' };`)).toEqual([]);
          });
          break;
        case 'env':
          if (e.status === 'requires') {
            const value = e.when!.values[0]!;
            it(`${title} without ${e.requires} is found in a deployment file`, () => {
              expect(deployHits(e, 'dotenv', `${e.name}=${value}\n`)).toHaveLength(1);
              expect(deployHits(e, 'yaml', `env:\n  - name: ${e.name}\n    value: "${value}"\n`)).toHaveLength(1);
              expect(deployHits(e, 'dotenv', `${e.name}=${value}\n${e.requires}=\n`)).toHaveLength(1);
            });
            it(`${title}: clean with ${e.requires} set, another value, or the exemption`, () => {
              expect(deployHits(e, 'dotenv', `${e.name}=${value}\n${e.requires}=postgres://admin@db/app\n`)).toEqual([]);
              expect(deployHits(e, 'yaml', `env:\n  - name: ${e.name}\n    value: "${value}"\n  - name: ${e.requires}\n    valueFrom: { secretKeyRef: { name: db, key: admin } }\n`)).toEqual([]);
              expect(deployHits(e, 'dotenv', `${e.name}=${otherValue(e.when!.values)}\n`)).toEqual([]);
              expect(deployHits(e, 'dotenv', `${e.name}_NOTE=${value}\n# ${e.name}=${value}\n`)).toEqual([]);
              if (e.unless) expect(deployHits(e, 'dotenv', `${e.name}=${value}\n${e.unless.name}=${e.unless.values[0]}\n`)).toEqual([]);
            });
          } else if (e.when) {
            const value = e.when.values[0]!;
            it(`${title} is found with its value, in code and in each deployment format`, () => {
              expect(codeHits(e, `process.env.${e.name} = '${value}';\nif (process.env['${e.name}'] === '${value}') {}\nspawn('svc', { env: { ${e.name}: '${value}' } });`)).toHaveLength(3);
              expect(deployHits(e, 'dotenv', `${e.name}=${value}\n`)).toHaveLength(1);
              expect(deployHits(e, 'yaml', `env:\n  ${e.name}: "${value}"\n`)).toHaveLength(1);
              expect(deployHits(e, 'dockerfile', `FROM node:20\nENV ${e.name}=${value}\n`)).toHaveLength(1);
              expect(deployHits(e, 'json', `{ "environment": [{ "name": "${e.name}", "value": "${value}" }] }`)).toHaveLength(1);
              expect(deployHits(e, 'yaml', `Environment:\n  - Name: ${e.name}\n    Value: "${value}"\n`)).toHaveLength(1);
            });
            it(`${title}: the variable with another value, or unknown, stays clean`, () => {
              expect(codeHits(e, `export const v = process.env.${e.name};\nconst { ${e.name} } = process.env;`)).toEqual([]);
              expect(deployHits(e, 'dotenv', `${e.name}=${otherValue(e.when!.values)}\n${e.name}_NOTE=${value}\n# ${e.name}=${value}\n`)).toEqual([]);
            });
          } else {
            it(`${title} is found in code and in each deployment format`, () => {
              expect(codeHits(e, `export const a = process.env.${e.name};\nexport const b = process.env['${e.name}'];\nconst { ${e.name}: c } = process.env;\nexport const d = import.meta.env.${e.name};\nconfig.get('${e.name}');`)).toHaveLength(5);
              expect(deployHits(e, 'dotenv', `${e.name}=x\n`)).toHaveLength(1);
              expect(deployHits(e, 'yaml', `services:\n  app:\n    environment:\n      - ${e.name}=x\n`)).toHaveLength(1);
              expect(deployHits(e, 'yaml', `env:\n  ${e.name}: x\n`)).toHaveLength(1);
              expect(deployHits(e, 'dockerfile', `FROM node:20\nARG ${e.name}\n`)).toHaveLength(1);
              expect(deployHits(e, 'json', `{ "${e.name}": "x" }`)).toHaveLength(1);
              expect(deployHits(e, 'json', `{ "env": { "${e.name}": { "description": "legacy", "value": "x" } } }`)).toHaveLength(1);
              expect(deployHits(e, 'spring-properties', `${e.name.toLowerCase().replace(/_/g, '.')}=x\n`)).toHaveLength(1);
            });
            it(`${title}: a name sharing its prefix, a comment and a log line stay clean`, () => {
              expect(codeHits(e, `export const a = process.env.${e.name}_V2;\n// process.env.${e.name}\nconsole.log('set ${e.name} first');`)).toEqual([]);
              expect(deployHits(e, 'dotenv', `${e.name}_V2=x\n# ${e.name}=x\nNOTE="${e.name} was removed"\n`)).toEqual([]);
              expect(deployHits(e, 'spring-properties', `${e.name.toLowerCase().replace(/_/g, '.')}.v2=x\n`)).toEqual([]);
            });
          }
          break;
        case 'header':
          it(`${title} is found in headers objects, calls and reads, any case, with a fix`, () => {
            const hits = codeHits(e, `fetch(u, { headers: { '${e.name}': v } });\nh.set('${e.name.toLowerCase()}', v);\nconst x = req.headers['${e.name.toUpperCase()}'];`);
            expect(hits).toHaveLength(3);
            expect(hits.every((h) => h.fix)).toBe(true);
            expect(deployHits(e, 'yaml', `headers:\n  ${e.name}: "{{org}}"\n`)).toHaveLength(1);
            expect(deployHits(e, 'yaml', `annotations:\n  nginx.ingress.kubernetes.io/cors-allow-headers: "Content-Type, ${e.name}"\n`)).toHaveLength(1);
            expect(codeHits(e, `cors({ allowedHeaders: 'Content-Type,${e.name.toLowerCase()}' });`)).toHaveLength(1);
          });
          it(`${title}: longer header names and mentions in text stay clean`, () => {
            expect(codeHits(e, `fetch(u, { headers: { '${e.name}-Hash': v } });\nlogger.info('send ${e.name}');\n// ${e.name}`)).toEqual([]);
          });
          break;
        case 'client':
          it(`${title} is found as a whole value in code and deployment files`, () => {
            expect(codeHits(e, `export const kc = { clientId: '${e.name}' };`)).toHaveLength(1);
            expect(deployHits(e, 'dotenv', `KEYCLOAK_CLIENT_ID=${e.name}\n`)).toHaveLength(1);
            expect(deployHits(e, 'yaml', `keycloak:\n  clientId: ${e.name}\n`)).toHaveLength(1);
          });
          it(`${title}: other clients and sentences stay clean`, () => {
            expect(codeHits(e, `export const kc = { clientId: '${e.name}-sa', note: 'migrated from ${e.name}' };`)).toEqual([]);
            expect(deployHits(e, 'yaml', `keycloak:\n  clientId: ${e.name}-sa\n  note: ${e.name} was removed\n`)).toEqual([]);
          });
          break;
        case 'field':
          it(`${title} is found on a license payload`, () => {
            expect(codeHits(e, `const license = decodeLicense(key);\nexport const id = license.${e.name};`)).toHaveLength(1);
            expect(codeHits(e, `const payload = await verifyLicense(token);\nexport const id = payload['${e.name}'];`)).toHaveLength(1);
          });
          it(`${title}: other objects, and reads that try the replacement first, stay clean`, () => {
            expect(codeHits(e, `export const a = req.user.${e.name};\nconst license = decodeLicense(key);\nexport const b = license.${[e.replacement].flat()[0]} ?? license.${e.name};`)).toEqual([]);
          });
          break;
      }
    }
  });
}

describe('pack sizes', () => {
  it('ships the three packs with their entries', () => {
    const sizes = Object.fromEntries(builtinPacks().map((p) => [p.id, p.entries.filter((e) => e.status !== 'retained').length]));
    expect(sizes).toEqual({ 'axonflow-v8': 11, 'flowx-5.5': 16, 'flowx-5.9': 3 });
  });
});
