import type { CoreSite } from '../src/analysis/index.js';
import { reportFindings } from '../src/eslint/report-findings.js';
import { parseSql, visitPg, type PgNode } from '../src/sql/parser.js';
import { createRule, SETUP_MESSAGE, type SiteCheck } from './rule.js';

// An UPDATE or DELETE of a gated table with no WHERE clause. RLS narrows it to the rows the
// connection may see, and no further: in an org-scoped transaction that is every row of the
// org, on an admin (BYPASSRLS) connection every row of every org. Judged from the facts the
// core computed for each write site (its verdict and the SQL each variant runs); writes the
// other rules report (unscoped, unresolved) are theirs.

export type MessageIds = 'everyRowOfOrg' | 'everyRowOfEveryOrg' | 'setup';

const SCOPE: Partial<Record<CoreSite['coverage'], Exclude<MessageIds, 'setup'>>> = {
  'org-scope': 'everyRowOfOrg',
  'admin-pool': 'everyRowOfEveryOrg',
};

const fix = (whole: string): string =>
  `Fix: add the WHERE clause that picks the rows meant, or suppress with the reason the whole ${whole} is meant.`;

export const check: SiteCheck = (site) => {
  const messageId = SCOPE[site.coverage];
  if (!messageId || !site.gated) return undefined;
  for (const sql of site.sql) {
    const parsed = parseSql(sql);
    if (!parsed.ok) continue;
    for (const { stmt } of parsed.statements) {
      const found = unbounded(stmt, site.tables);
      if (found) return { messageId, data: { ...found, via: site.via ?? '' } };
    }
  }
  return undefined;
};

/** The first UPDATE or DELETE (CTEs included) of one of `tables` without a WHERE clause. */
function unbounded(stmt: PgNode, tables: readonly string[]): { operation: string; table: string } | undefined {
  let found: { operation: string; table: string } | undefined;
  visitPg(stmt, (key, node) => {
    if (found || (key !== 'UpdateStmt' && key !== 'DeleteStmt') || node.whereClause) return;
    const relation = node.relation as { relname?: string; schemaname?: string } | undefined;
    const name = relation?.relname;
    const qualified = relation?.schemaname ? `${relation.schemaname}.${name}` : undefined;
    const table = name && tables.find((t) => (qualified ? t === qualified : t.endsWith(`.${name}`)));
    if (table) found = { operation: key === 'UpdateStmt' ? 'UPDATE' : 'DELETE', table };
  });
  return found;
}

const rule = createRule<[], MessageIds>({
  name: 'no-unbounded-write',
  meta: {
    type: 'problem',
    docs: {
      description:
        'An UPDATE or DELETE of an RLS-gated table needs a WHERE clause: ' +
        'RLS narrows it to the org, or on an admin connection to nothing',
      severity: 'warning',
    },
    messages: {
      /** Org-scoped: RLS keeps it to the org, and it takes all of the org's rows. */
      everyRowOfOrg:
        '{{operation}} of {{table}} has no WHERE clause: it runs in an org-scoped transaction ({{via}}), ' +
        `so it takes every row of the org. ${fix('org')}`,
      /** On an admin (BYPASSRLS) connection: no policy narrows it at all. */
      everyRowOfEveryOrg:
        '{{operation}} of {{table}} has no WHERE clause and runs on an admin connection ({{via}}) that bypasses RLS, ' +
        `so it takes every row of every org. ${fix('table')}`,
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context, { check }),
});

export default Object.assign(rule, { check });
