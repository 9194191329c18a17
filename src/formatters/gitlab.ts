import { docsUrl } from '../../rules/rule.js';
import type { Formatter } from './types.js';
import { ciPath } from './paths.js';

// GitLab Code Quality (a CodeClimate subset): an array of issues that the merge request
// widget compares between the source and target branches by fingerprint, so the
// fingerprint must not move with line numbers (ours do not).

export const gitlab: Formatter = (report, options) => {
  const issues = report.findings.map((f) => ({
    type: 'issue',
    check_name: f.ruleId,
    description: f.message,
    content: { body: `See ${docsUrl(f.ruleId)}` },
    categories: ['Security', 'Bug Risk'],
    severity: f.severity === 'error' ? 'major' : 'minor',
    fingerprint: f.fingerprint,
    location: { path: ciPath(report, f.file, options), lines: { begin: f.line, end: f.endLine } },
    engine_name: 'rls-guard',
  }));
  return `${JSON.stringify(issues, null, 2)}\n`;
};
