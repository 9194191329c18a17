import { quoteQualified } from '../sql/quote.js';
import { RULES, type RuleId } from '../../rules/catalog.js';
import type { RlsGuardConfig } from '../config/types.js';
import { FingerprintCounter } from '../report/fingerprint.js';
import type { Finding } from '../report/types.js';
import { sqlName } from '../schema/names.js';
import type { RlsModel, TableState } from '../schema/types.js';

// Findings about the schema itself, reported at the migration line that causes them. Only
// the walker sees every file, so only it can say that no code sets a setting.

/** `setting`: the setting whose absence from the code raised the finding (a sharded audit settles it when the shards merge). */
export function schemaFindings(model: RlsModel, config: RlsGuardConfig, settingsSet: ReadonlySet<string>): (Finding & { ruleId: RuleId; setting?: string })[] {
  const out: (Finding & { ruleId: RuleId; setting?: string })[] = [];
  const ids = new FingerprintCounter();
  const add = (ruleId: RuleId, at: { file: string; line: number }, message: string, key: string, setting?: string): void => {
    out.push({ ruleId, severity: RULES[ruleId].severity, file: at.file, line: at.line, column: 1, endLine: at.line, endColumn: 1, message, fingerprint: ids.next([ruleId, at.file, key]), ...(setting ? { setting } : {}) });
  };
  const tables = [...model.tables.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const t of tables) {
    if (!t.rlsEnabled || t.forced || !ownedByApp(t, model, config)) continue;
    const owner = t.owner ?? 'the role that runs the migrations';
    add(
      'no-owner-bypass',
      t.enabledAt ?? t.createdAt ?? { file: model.files[0] ?? '.', line: 1 },
      `${t.name} has row level security enabled but not forced, and its owner (${owner}) is ${config.appRole ? `the app's role (${config.appRole})` : 'the role the app is assumed to connect as'}: a table's owner bypasses its policies, so every query the app runs on it sees and writes every org's rows. Fix: \`ALTER TABLE ${quoteQualified(t.name)} FORCE ROW LEVEL SECURITY;\`, or let a separate role own the table${config.appRole ? '' : ' (and set "appRole" in the rls-guard config if the app connects as another role)'}.`,
      `owner:${t.name}`,
    );
  }
  const contextSettings = new Set((config.contextSettings ?? []).map((s) => s.toLowerCase()));
  for (const t of tables) {
    if (!t.rlsEnabled) continue;
    for (const p of t.policies) {
      for (const setting of p.settings) {
        if (settingsSet.has(setting) || contextSettings.has(setting)) continue;
        add(
          'no-unset-policy-setting',
          p.at,
          `Policy ${p.name} on ${t.name} reads current_setting('${setting}'), but no code in the audited paths sets ${setting}: the setting stays empty, so the policy matches no rows (reads come back empty, updates and deletes do nothing, inserts fail). Set it with set_config('${setting}', …, true) in the same transaction as the org context, or list it under "contextSettings" if something outside the code sets it.`,
          `setting:${t.name}:${p.name}:${setting}`,
          setting,
        );
      }
    }
  }
  return out;
}

function ownedByApp(t: TableState, model: RlsModel, config: RlsGuardConfig): boolean {
  if (config.appRole) return t.owner === config.appRole;
  // Without an app role, assume the common setup: the app connects as the role that owns
  // what the migrations created (the introspected role for a live database).
  return t.owner === null || t.owner === model.migrationRole || (model.connectedAs !== undefined && t.owner === model.connectedAs);
}
