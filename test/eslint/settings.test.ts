import { describe, expect, it } from 'vitest';
import { EDITOR_BUDGET_MS, inEditor, indexBudgetMs, LintHistory, RELINT_GAP_MS } from '../../src/eslint/settings.js';

// The project index's time budget: bounded in an editor, none on the command line or in CI.

describe('indexBudgetMs', () => {
  it('is bounded in an editor and unlimited on the command line', () => {
    expect(indexBudgetMs({}, { VSCODE_PID: '42' })).toBe(EDITOR_BUDGET_MS);
    expect(indexBudgetMs({}, { JB_IDE_PORT: '63342' })).toBe(EDITOR_BUDGET_MS);
    expect(indexBudgetMs({}, {})).toBe(Infinity);
  });

  it('is unlimited in CI even inside an editor terminal', () => {
    expect(inEditor({ VSCODE_PID: '42', CI: 'true' })).toBe(false);
    expect(indexBudgetMs({}, { VSCODE_PID: '42', CI: 'true' })).toBe(Infinity);
  });

  it('takes the setting when it is a non-negative number', () => {
    expect(indexBudgetMs({ indexBudgetMs: 250 }, {})).toBe(250);
    expect(indexBudgetMs({ indexBudgetMs: 0 }, { VSCODE_PID: '1' })).toBe(0);
    expect(indexBudgetMs({ indexBudgetMs: -5 }, { VSCODE_PID: '1' })).toBe(EDITOR_BUDGET_MS);
  });

  it("is bounded in a long-lived process the environment does not name (eslint_d): a file linted again later", () => {
    const h = new LintHistory();
    h.note('/app/a.ts', 0);
    h.note('/app/b.ts', 10);
    // --fix lints a file again at once: still a command-line run.
    h.note('/app/a.ts', 20);
    expect(indexBudgetMs({}, {}, h)).toBe(Infinity);
    h.note('/app/a.ts', 20 + RELINT_GAP_MS);
    expect(indexBudgetMs({}, {}, h)).toBe(EDITOR_BUDGET_MS);
    expect(indexBudgetMs({}, { CI: 'true' }, h)).toBe(Infinity);
    expect(indexBudgetMs({ indexBudgetMs: 0 }, {}, h)).toBe(0);
  });
});
