import fs from 'node:fs';
import path from 'node:path';
import { Linter } from 'eslint';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../rules/index.js';
import { interpolate } from '../../rules/render.js';

// Every message id of every rule is produced by at least one test case: the cases name the
// id they expect (`messageId: '…'`) in a RuleTester suite of the rule, or beside the rule's
// id (`ruleId: '…'`) for the findings only the walker makes. An id added without a case
// fails here.

const TESTS = path.resolve(import.meta.dirname, '..');

/** `rule id → message ids` that some test case expects. */
function expectedIds(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (rule: string, id: string): void => void (out.get(rule) ?? out.set(rule, new Set()).get(rule)!).add(id);
  for (const file of fs.readdirSync(TESTS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts'))) {
    const sf = ts.createSourceFile(file, fs.readFileSync(path.join(TESTS, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const own = path.basename(file, '.test.ts');
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAssignment(node) && node.name.getText(sf) === 'messageId') {
        const id = literal(node.initializer);
        const rule = id && ruleOf(node, own);
        if (id && rule) add(rule, id);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

function literal(e: ts.Expression): string | undefined {
  const inner = ts.isAsExpression(e) ? e.expression : e;
  return ts.isStringLiteral(inner) ? inner.text : undefined;
}

/** The rule a `messageId` belongs to: a `ruleId` beside it, the RuleTester suite around it, or the file's name. */
function ruleOf(node: ts.Node, own: string): string | undefined {
  const sibling = node.parent.getChildren().flatMap((c) => c.getChildren()).find((p) => ts.isPropertyAssignment(p) && p.name.getText() === 'ruleId');
  if (sibling && ts.isPropertyAssignment(sibling)) return literal(sibling.initializer);
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'run') {
      const first = n.arguments[0];
      if (first && ts.isStringLiteral(first)) return first.text;
    }
  }
  return RULES.some((r) => r.id === own) ? own : undefined;
}

describe('message ids', () => {
  const covered = expectedIds();
  for (const rule of RULES) {
    // `setup` is every rule's: test/eslint/setup.test.ts covers it once for all.
    const ids = Object.keys(rule.messages).filter((id) => id !== 'setup');
    it(`${rule.id}: every message id is expected by a test case`, () => {
      expect(ids.filter((id) => !covered.get(rule.id)?.has(id))).toEqual([]);
    });
  }

  it('the scan sees the cases (a message id no rule has would be a typo)', () => {
    for (const [rule, ids] of covered) {
      const known = RULES.find((r) => r.id === rule)?.messages ?? {};
      expect([rule, [...ids].filter((id) => !(id in known))]).toEqual([rule, []]);
    }
    expect(covered.get('no-unscoped-write')?.size).toBeGreaterThan(3);
  });
});

describe('rule docs', () => {
  for (const rule of RULES) {
    it(`docs/rules/${rule.id}.md lists the rule's message ids`, () => {
      const doc = fs.readFileSync(path.resolve(TESTS, '../docs/rules', `${rule.id}.md`), 'utf8');
      const listed = doc.split('## Messages')[1]?.split('\n## ')[0] ?? '';
      expect(Object.keys(rule.messages).filter((id) => !listed.includes(`\`${id}\``))).toEqual([]);
    });
  }
});

describe('the walker renders messages as ESLint interpolates them', () => {
  const word = fc.stringMatching(/^[a-z]{1,6}$/);
  it('for any template and data, the same text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(word.map((w) => `{{${w}}}`), word.map((w) => `{{ ${w} }}`), fc.constantFrom('{{', '}}', '{', ' ', '{{}}', 'x'), word), { maxLength: 12 }),
        fc.dictionary(word, fc.oneof(word, fc.constantFrom('{{a}}', '$&', '$1', ''))),
        (parts, data) => {
          const template = parts.join('');
          const rule = { meta: { messages: { m: template } }, create: (context: { report: (d: unknown) => void }) => ({ Program: (node: unknown) => context.report({ node, messageId: 'm', data }) }) };
          const [message] = new Linter().verify('x', [{ plugins: { t: { rules: { r: rule } } }, rules: { 't/r': 'error' } }] as never);
          expect(interpolate(template, data)).toBe(message!.message);
        },
      ),
      { numRuns: 300 },
    );
  });
});
