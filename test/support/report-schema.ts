import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

/** Checks a report, as its JSON, against the public report schema. */
export function expectValidReport(report: unknown): void {
  const schema = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/audit-report.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  const ok = validate(JSON.parse(JSON.stringify(report)));
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}
