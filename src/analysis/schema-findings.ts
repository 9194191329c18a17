import { quoteQualified } from '../sql/quote.js';
import type { RlsGuardConfig } from '../config/types.js';
import { FingerprintCounter } from '../report/fingerprint.js';
import type { RuleFinding } from '../report/rule-finding.js';
import { sqlName } from '../schema/names.js';
import type { RlsModel, TableState } from '../schema/types.js';

// Findings about the schema itself, reported at the migration line that causes them. Only
// the walker sees every file, so only it can say that no code sets a setting.

export function schemaFindings(
  model: RlsModel,
  config: RlsGuardConfig,
  settingsSet: ReadonlySet<string>,
): RuleFinding[] {
  const out: RuleFinding[] = [];
  const ids = new FingerprintCounter();
  type Fact = Pick<RuleFinding, 'ruleId' | 'messageId' | 'data'>;
  const add = (f: Fact, at: { file: string; line: number }, key: string): void => {
    const place = { file: at.file, line: at.line, column: 1, endLine: at.line, endColumn: 1 };
    out.push({ ...f, ...place, fingerprint: ids.next([f.ruleId, at.file, key]) });
  };
  const tables = [...model.tables.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const t of tables) {
    if (!t.rlsEnabled || t.forced || !ownedByApp(t, model, config)) continue;
    const owner = t.owner ?? 'the role that runs the migrations';
    const at = t.enabledAt ?? t.createdAt ?? { file: model.files[0] ?? '.', line: 1 };
    const data = { table: t.name, owner, appRole: config.appRole ?? '', quoted: quoteQualified(t.name) };
    // A configured app role is a fact; without one, the owner is only assumed to be the app's role.
    const messageId = config.appRole ? 'ownerIsAppRole' : 'ownerIsAssumedAppRole';
    add({ ruleId: 'no-owner-bypass', messageId, data }, at, `owner:${t.name}`);
  }
  const contextSettings = new Set((config.contextSettings ?? []).map((s) => s.toLowerCase()));
  for (const t of tables) {
    if (!t.rlsEnabled) continue;
    for (const p of t.policies) {
      for (const setting of p.settings) {
        if (settingsSet.has(setting) || contextSettings.has(setting)) continue;
        const data = { policy: p.name, table: t.name, setting };
        const key = `setting:${t.name}:${p.name}:${setting}`;
        add({ ruleId: 'no-unset-policy-setting', messageId: 'unsetSetting', data }, p.at, key);
      }
    }
  }
  return out;
}

function ownedByApp(t: TableState, model: RlsModel, config: RlsGuardConfig): boolean {
  if (config.appRole) return t.owner === config.appRole;
  // Without an app role, assume the common setup: the app connects as the role that owns
  // what the migrations created (the introspected role for a live database).
  return (
    t.owner === null ||
    t.owner === model.migrationRole ||
    (model.connectedAs !== undefined && t.owner === model.connectedAs)
  );
}
