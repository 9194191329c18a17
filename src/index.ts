// Programmatic API: `import { audit } from 'rls-guard'`.
export { audit, auditSync, type AuditOptions, type ProgressEvent } from './walker/audit.js';
export type { AuditReport, Diagnostic } from './report/audit-report.js';
export {
  applyBaseline,
  createBaseline,
  pruneBaseline,
  readBaseline,
  serializeBaseline,
  type Baseline,
  type BaselineOutcome,
} from './report/baseline.js';
export { defineConfig, type RlsGuardConfig, type ScopeHelperSpec, type Specifier } from './config/types.js';
export { formatters, type Formatter } from './formatters/index.js';
export type { Coverage, Finding, Operation, Report, Severity, WriteSite } from './report/types.js';
export { RULES, rules } from '../rules/index.js';
