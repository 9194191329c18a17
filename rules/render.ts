import type { RuleFinding } from '../src/report/rule-finding.js';
import type { Finding } from '../src/report/types.js';
import { ruleInfo, severityOf } from './index.js';

// The walker's words for a finding: its rule's message, interpolated as ESLint interpolates
// `{{name}}` placeholders (a placeholder without data stays as written), so both front ends
// print the same text from the same `meta.messages`.

const PLACEHOLDER = /\{\{([^{}]+?)\}\}/gu;

export function interpolate(text: string, data: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (whole, term: string) => {
    const name = term.trim();
    return Object.hasOwn(data, name) ? String(data[name]) : whole;
  });
}

/** The text of a finding; a message id its rule does not hold says so rather than vanish. */
export function messageOf(f: Pick<RuleFinding, 'ruleId' | 'messageId' | 'data'>): string {
  const template = ruleInfo(f.ruleId)?.messages[f.messageId];
  if (template === undefined) return `${f.ruleId}: no message "${f.messageId}" (${JSON.stringify(f.data)})`;
  return interpolate(template, f.data);
}

/** A finding as the report has it; undefined when its rule is off. */
export function renderFinding(f: RuleFinding, strict: boolean): Finding | undefined {
  const severity = severityOf(f.ruleId, strict);
  if (severity === 'off') return undefined;
  const { ruleId, file, line, column, endLine, endColumn, fingerprint } = f;
  return { ruleId, severity, file, line, column, endLine, endColumn, message: messageOf(f), fingerprint };
}
