import type { Log, ReportingDescriptor, Result, Location as SarifLocation } from 'sarif';
import { RULES } from '../../rules/index.js';
import { docsUrl } from '../../rules/rule.js';
import { evidenceFor } from '../report/evidence.js';
import type { Finding } from '../report/types.js';
import type { AuditReport } from '../report/audit-report.js';
import { ciPath } from './paths.js';
import type { Formatter, FormatterOptions } from './types.js';

// SARIF 2.1.0 for code scanning: one run, every rule with its docs, each finding with its
// evidence as related locations and a line-independent partial fingerprint. Suppressed
// findings stay in, marked with their reason (inline) or the baseline that holds them.

export const SARIF_SCHEMA_URI =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const FINGERPRINT_KEY = 'rlsGuardFingerprint/v1';

export const sarif: Formatter = (report, options) => {
  const rules: ReportingDescriptor[] = RULES.map(({ id, docs: { description, severity } }) => ({
    id,
    name: camel(id),
    shortDescription: { text: description },
    helpUri: docsUrl(id),
    help: { text: `${description}. See ${docsUrl(id)}`, markdown: `${description}. [How to fix](${docsUrl(id)})` },
    defaultConfiguration: { level: severity === 'off' ? 'none' : severity },
    properties: { tags: ['security', 'postgres', 'row-level-security'], precision: 'high' },
  }));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results: Result[] = [
    ...report.findings.map((f) => result(f, report, options, index)),
    ...report.suppressedFindings.map((f) => ({
      ...result(f, report, options, index),
      suppressions: [{ kind: 'inSource' as const, status: 'accepted' as const, justification: f.suppressed.reason }],
    })),
    ...(report.baseline?.hidden ?? []).map((f) => ({
      ...result(f, report, options, index),
      suppressions: [
        {
          kind: 'external' as const,
          status: 'accepted' as const,
          justification: `recorded in the baseline ${report.baseline!.file}`,
        },
      ],
    })),
  ];
  const log: Log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'rls-guard',
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: 'https://github.com/rls-guard/rls-guard',
            rules,
          },
        },
        invocations: [
          {
            // An audit that skipped input did not do all it was asked to.
            executionSuccessful: report.incomplete.length === 0,
            toolExecutionNotifications: report.diagnostics.map((d) => ({
              level: 'warning' as const,
              message: { text: d.message },
              locations: [{ physicalLocation: { artifactLocation: { uri: ciPath(report, d.file, options) } } }],
            })),
          },
        ],
        results,
        properties: { summary: report.summary },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
};

function result(f: Finding, report: AuditReport, options: FormatterOptions, index: Map<string, number>): Result {
  const related: SarifLocation[] = evidenceFor(f, report.writeSites).map((e, i) => ({
    id: i + 1,
    message: { text: e.message },
    physicalLocation: { artifactLocation: { uri: ciPath(report, e.file, options) }, region: { startLine: e.line } },
  }));
  return {
    ruleId: f.ruleId,
    ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId)! } : {}),
    level: f.severity,
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: ciPath(report, f.file, options) },
          region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
        },
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    ...(related.length ? { relatedLocations: related } : {}),
  };
}

function camel(id: string): string {
  return id.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase());
}
