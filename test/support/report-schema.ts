import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

/** The package's own copy of the public report schema (test/contract.test.ts keeps it equal to the contract). */
export const VENDORED_SCHEMA = path.resolve(import.meta.dirname, '../../docs/audit-report.schema.json');

let validate: ValidateFunction | undefined;

/** What the vendored report schema says is wrong with a report, as its JSON ([] when valid). */
export function reportSchemaErrors(report: unknown): ErrorObject[] {
  validate ??= new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(VENDORED_SCHEMA, 'utf8')));
  return validate(JSON.parse(JSON.stringify(report))) ? [] : [...(validate.errors ?? [])];
}

/** Checks a report, as its JSON, against the public report schema. */
export function expectValidReport(report: unknown): void {
  expect(reportSchemaErrors(report)).toEqual([]);
}
