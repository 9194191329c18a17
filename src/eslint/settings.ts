// The plugin's settings (`settings: { 'rls-guard': { … } }` in eslint.config.js).

export interface PluginSettings {
  /** Unresolved writes are errors in the findings' severity (as `rls-guard audit --strict`). */
  strict?: boolean;
  /**
   * Milliseconds one lint may spend reading and parsing project files for the project index
   * before reporting the sites that need it as unresolved (the next lint continues the build).
   * Default: 1500 in an editor, unlimited on the command line and in CI.
   */
  indexBudgetMs?: number;
}

export const EDITOR_BUDGET_MS = 1500;

/** An editor's ESLint server (VS Code, JetBrains, Vim/Neovim language servers), never CI. */
export function inEditor(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.CI) return false;
  return !!(env.VSCODE_PID || env.VSCODE_CWD || env.VSCODE_IPC_HOOK || env.JB_IDE_PORT || env.NVIM || env.VIM);
}

export function indexBudgetMs(settings: PluginSettings, env: NodeJS.ProcessEnv = process.env): number {
  const set = settings.indexBudgetMs;
  if (typeof set === 'number' && set >= 0) return set;
  return inEditor(env) ? EDITOR_BUDGET_MS : Infinity;
}
