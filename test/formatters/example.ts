import fs from 'node:fs';
import path from 'node:path';
import type { FormatterOptions } from '../../src/formatters/index.js';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';

// The bundled example app, audited once per test file, and formatter options as the CLI
// would pass them from the repository root.

export const EXAMPLE = path.resolve(import.meta.dirname, '../../fixtures/example-app');
export const REPO = path.resolve(import.meta.dirname, '../..');

let cached: AuditReport | undefined;
export function exampleReport(): AuditReport {
  return (cached ??= auditSync({ paths: [EXAMPLE] }));
}

export const options: FormatterOptions = {
  color: false,
  cwd: REPO,
  readSource: (file) => fs.readFileSync(path.join(EXAMPLE, file), 'utf8'),
};
