import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The report schema is a public contract kept in ../shared/contracts; the package ships a copy.
const shared = path.resolve(import.meta.dirname, '../../shared/contracts/audit-report.schema.json');

describe('the vendored report schema', () => {
  it.runIf(fs.existsSync(shared))('is identical to the shared contract', () => {
    const vendored = fs.readFileSync(path.resolve(import.meta.dirname, '../docs/audit-report.schema.json'), 'utf8');
    expect(JSON.parse(vendored)).toEqual(JSON.parse(fs.readFileSync(shared, 'utf8')));
  });
});
