import { describe, expect, it } from 'vitest';
import { EDITOR_BUDGET_MS, inEditor, indexBudgetMs } from '../../src/eslint/settings.js';

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
});
