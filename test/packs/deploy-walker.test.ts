import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { expectValidReport } from '../support/report-schema.js';

// The walker over fixtures/deploy: one file per deployment format, a user pack from the
// config, look-alikes that must stay clean, and a file that does not parse.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/deploy');
let report: AuditReport;

beforeAll(() => {
  const full = auditSync({ paths: [ROOT], types: false });
  // The fixture has no migrations, which makes the audit incomplete (tested in
  // test/malformed); these tests are about the pack findings.
  expect(full.incomplete.map((i) => i.reason.slice(0, 20))).toEqual(['no migrations found,']);
  report = { ...full, findings: full.findings.filter((f) => f.ruleId !== 'no-incomplete-audit') };
});

describe('rls-guard audit over deployment files', () => {
  it('finds exactly the expected findings, at their lines and columns', () => {
    const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'expected-findings.json'), 'utf8'));
    const actual = report.findings.map(({ file, line, column, endLine, endColumn, ruleId, severity }) => ({ file, line, column, endLine, endColumn, ruleId, severity }));
    expect(actual).toEqual(expected);
  });

  it('covers every deployment format and the source code', () => {
    const files = new Set(report.findings.map((f) => f.file));
    for (const f of ['.env', '.env.rollout', '.env.workers', 'Dockerfile', 'docker-compose.yml', 'helm/values.yaml', 'helm/templates/deployment.yaml', 'k8s/deployment.yaml', 'config/ecs-task.json', 'config/application.yml', 'config/application-prod.properties', 'src/app.ts']) expect(files).toContain(f);
  });

  it('names the evidence and the fix in every message', () => {
    for (const f of report.findings) {
      expect(f.message).toMatch(/\(pack [a-z0-9.-]+; https?:\/\//);
      expect(f.message).toContain('Fix:');
    }
  });

  it('points at the variable name, even inside quotes and continuation lines', () => {
    const at = (file: string, line: number) => report.findings.filter((f) => f.file === file && f.line === line);
    const nameAt = (file: string, line: number, name: string) => {
      const f = at(file, line)[0]!;
      const source = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')[line - 1]!;
      return source.slice(f.column - 1, f.endColumn - 1) === name && f.endLine === line;
    };
    expect(nameAt('docker-compose.yml', 11, 'SECURITY_OAUTH2_CLIENT_CLIENTSECRET')).toBe(true);
    expect(nameAt('Dockerfile', 6, 'SPRING_SECURITY_OAUTH2_RESOURCE_SERVER_OPAQUE_TOKEN_CLIENT_ID')).toBe(true);
    expect(nameAt('k8s/deployment.yaml', 24, 'SECURITY_OAUTH2_SERVICE_ACCOUNT_ADMIN_CLIENTSECRET')).toBe(true);
    expect(nameAt('.env', 6, 'SECURITY_OAUTH2_CLIENT_CLIENT_ID')).toBe(true);
  });

  it('reports a cross-org worker without the admin DSN as an error, and not when the DSN comes from a secret or the lever is off', () => {
    const workers = report.findings.filter((f) => f.message.includes('without AXONFLOW_DB_PLATFORM_ADMIN_URL'));
    expect(workers.map((f) => `${f.file}:${f.line}:${f.severity}`).sort()).toEqual(['.env.workers:3:error', 'docker-compose.yml:5:error', 'helm/templates/deployment.yaml:20:error']);
  });

  it('honours a suppression with a reason in a .env file', () => {
    expect(report.findings.some((f) => f.file === '.env' && f.line === 12)).toBe(false);
    expect(report.findings.some((f) => f.ruleId === 'no-unused-suppression')).toBe(false);
  });

  it('keeps going past a YAML file that does not parse, with a diagnostic, and reads what it can', () => {
    expect(report.diagnostics.some((d) => d.file === 'config/broken.yaml' && /line \d+: YAML error/.test(d.message))).toBe(true);
    expect(report.findings.some((f) => f.file === 'config/broken.yaml' && f.line === 2)).toBe(true);
  });

  it('reads Helm templates around their {{ }} expressions, without a diagnostic', () => {
    expect(report.diagnostics.filter((d) => d.file.startsWith('helm/'))).toEqual([]);
    expect(report.findings.filter((f) => f.file === 'helm/templates/deployment.yaml').map((f) => f.line)).toEqual([14, 17, 20]);
  });

  it('binds Spring properties to the variables they are, and names both', () => {
    const spring = report.findings.filter((f) => f.file.startsWith('config/application'));
    expect(spring.map((f) => `${f.file}:${f.line}`)).toEqual(['config/application-prod.properties:3', 'config/application-prod.properties:5', 'config/application.yml:3', 'config/application.yml:8', 'config/application.yml:8', 'config/application.yml:14']);
    expect(spring[1]!.message).toContain('security.oauth2.service-account.admin.client-secret (SECURITY_OAUTH2_SERVICE_ACCOUNT_ADMIN_CLIENTSECRET)');
  });

  it('lists the packs it used as sources, the user pack included', () => {
    expect(report.schema.sources.filter((s) => s.kind === 'pack').map((s) => s.ref)).toEqual(['axonflow-v8', 'flowx-5.5', 'flowx-5.9', 'acme-legacy']);
  });

  it('produces JSON that validates against the public report schema', () => {
    expectValidReport(report);
  });
});
