// The plugin's settings (`settings: { 'rls-guard': { … } }` in eslint.config.js).

export interface PluginSettings {
  /** Unresolved writes are errors in the findings' severity (as `rls-guard audit --strict`). */
  strict?: boolean;
  /**
   * Milliseconds one lint may spend on the project index (looking at the project, reading, parsing and analysing files)
   * before reporting the sites that need it as unresolved (the next lint continues the build).
   * Default: 1500 in an editor or another long-lived process, unlimited on the command line and in CI.
   */
  indexBudgetMs?: number;
}

export const EDITOR_BUDGET_MS = 1500;

/** An editor's ESLint server (VS Code, JetBrains, Vim/Neovim language servers), never CI. */
export function inEditor(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.CI) return false;
  return !!(env.VSCODE_PID || env.VSCODE_CWD || env.VSCODE_IPC_HOOK || env.JB_IDE_PORT || env.NVIM || env.VIM);
}

export function indexBudgetMs(
  settings: PluginSettings,
  env?: NodeJS.ProcessEnv,
  relints: LintHistory = history,
): number {
  const set = settings.indexBudgetMs;
  if (typeof set === 'number' && set >= 0) return set;
  // This process's environment is read once (asked per linted file; each read is a call into the runtime).
  if (env ? env.CI : ciEnv()) return Infinity;
  return (env ? inEditor(env) : editorEnvironment()) || relints.longLived ? EDITOR_BUDGET_MS : Infinity;
}

/** A file linted again at least this long after its last lint: a person edited it (not a --fix pass). */
export const RELINT_GAP_MS = 1000;

/**
 * Which files this process linted and when. A process that lints a file again a while later
 * is long-lived (eslint_d, an editor's ESLint server whose environment `inEditor` does not
 * recognise): from then on the lints get the editor's budget, so a refresh of the project
 * index never blocks one for long. A command-line run lints each file once (`--fix` lints a
 * file again at once, which does not count).
 */
export class LintHistory {
  private readonly last = new Map<string, number>();
  longLived = false;

  reset(): void {
    this.last.clear();
    this.longLived = false;
  }

  note(file: string, now = performance.now()): void {
    const before = this.last.get(file);
    if (before !== undefined && now - before >= RELINT_GAP_MS) this.longLived = true;
    this.last.set(file, now);
  }
}

const history = new LintHistory();

/** An editor's ESLint server or another process that lints the same file again later: it waits for its user. */
export function longLivedProcess(): boolean {
  // The environment once per process: reading process.env is a call into the runtime, and this is asked per lint.
  return editorEnvironment() || (history.longLived && !ciEnv());
}

let editorEnv: boolean | undefined;
let ci: boolean | undefined;

function editorEnvironment(): boolean {
  return (editorEnv ??= !ciEnv() && inEditor(process.env));
}

function ciEnv(): boolean {
  return (ci ??= !!process.env.CI);
}

/** Forgets what this process was taken for (the environment, the lint history): for tests that play an editor. */
export function forgetProcessKind(): void {
  editorEnv = undefined;
  ci = undefined;
  history.reset();
}

/** Records a lint of `file` by this process (lint-analysis.ts, once per linted text). */
export function noteLint(file: string): void {
  history.note(file);
}
