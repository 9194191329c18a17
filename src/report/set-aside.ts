// Tests, seed scripts and code migrations write to the database, but not on the app's request
// paths (and code that writes to another database, SQLite or MySQL, never writes to Postgres:
// see other-database.ts)
// paths: tests run against a throwaway database, seeds and migrations run as the migration
// role. Their writes are set aside from the app's verdicts and coverage by default (counted in
// `summary.setAside` and a diagnostic, listed in `setAsideWriteSites`, never silently), and
// `includeWritesFrom` in the config brings any kind back. Decided by path: a file's place in
// the repository is what says it is a test or a migration; with one exception, a write of a
// seed or migration file that a route of the app reaches (a `seed-mbs.ts` whose function an
// onboarding route calls) is on the app's request path, so it stays with the app's writes.

export type SetAsideKind = 'tests' | 'seeds' | 'migrations' | 'other-database';

export const SET_ASIDE_KINDS: readonly SetAsideKind[] = ['tests', 'seeds', 'migrations', 'other-database'];

const TEST_DIR = /^(__tests__|__mocks__|tests?|e2e)$/i;
// `*.eval.ts`: evalite's eval suites (a vitest runner for LLM evals), which hand the code stubs, not connections.
// `*.dbtest.ts`, `*.int-test.ts`, `*.integration-test.ts`, `*.itest.ts`: suites a second runner config includes (a
// `vitest.db.config.ts` whose `include` is `src/**/*.dbtest.ts`) to run against a real database.
const TEST_FILE = /\.(test|spec|e2e-spec|e2e|eval|(?:db|int|integration|i)-?test)\.[cm]?[jt]sx?$/i;
// vitest/jest setup files: they run only under the test runner.
const TEST_SETUP = /^(vitest|jest)\.(setup|global-?setup|config)\.[cm]?[jt]s$|^setup-?tests\.[cm]?[jt]s$/i;
const SEED_DIR = /^seeds?$|^seeders?$/i;
const SEED_FILE = /^seed[\w.-]*\.[cm]?[jt]s$/i;
// `migrations`, `migration`, and archived copies such as `migrations.archive` or `migrations-old`.
const MIGRATION_DIR = /^migrations?([._-][\w.-]*)?$/i;

// Folders of test support: helpers the suites import (a harness that empties tables, a fixture factory). Their path
// alone does not set them aside (an admin page's `components/testing/` is app code): a write there whose function only
// tests call is set aside with the tests (analysis/program.ts `callers`).
const TEST_SUPPORT_DIR = /^(testing|test-?utils|test-?helpers|test-?support|testkit|test-?harness)$/i;

/** Whether a file lies in a folder of test support (by its path relative to the root). */
export function inTestSupport(relPath: string): boolean {
  return relPath.split('/').slice(0, -1).some((d) => TEST_SUPPORT_DIR.test(d));
}

/** What kind of non-app code a file is, by its path relative to the root, or null for app code. */
export function setAsideKind(relPath: string): SetAsideKind | null {
  const segments = relPath.split('/');
  const base = segments[segments.length - 1]!;
  const dirs = segments.slice(0, -1);
  if (dirs.some((d) => MIGRATION_DIR.test(d))) return 'migrations';
  if (TEST_FILE.test(base) || TEST_SETUP.test(base) || dirs.some((d) => TEST_DIR.test(d))) return 'tests';
  if (SEED_FILE.test(base) || dirs.some((d) => SEED_DIR.test(d))) return 'seeds';
  return null;
}

/**
 * A seed or migration file by its path, whose writes are app code when a route reaches them: the routes of the whole
 * program decide it (analysis/index.ts; the ESLint plugin asks its project index).
 */
export function routeDecidesSetAside(relPath: string): boolean {
  const kind = setAsideKind(relPath);
  return kind === 'seeds' || kind === 'migrations';
}

export interface SetAsideSummary {
  /** Files set aside, per kind. */
  files: Record<SetAsideKind, number>;
  /** Write sites moved out of `writeSites`, per kind. */
  writeSites: Record<SetAsideKind, number>;
  /** Findings moved out of `findings` with them. */
  findings: number;
}

/**
 * Splits what a walk found into app code and set-aside code. `include` lists the kinds the
 * config wants judged as app code anyway.
 */
/** Rules about the RLS model and the audit itself, not a write path: never set aside. */
const MODEL_RULES = new Set(['no-owner-bypass', 'no-unset-policy-setting', 'no-incomplete-audit']);

export function partitionSetAside<
  S extends { file: string; line?: number },
  F extends { file: string; ruleId: string; line?: number },
>(input: {
  files: readonly string[];
  sites: readonly S[];
  findings: readonly F[];
  include: readonly SetAsideKind[];
  otherDatabase?: ReadonlyMap<string, string>;
  /** Code migrations by their shape (schema/migration-shape.ts), whatever their path: set aside as migrations. */
  migrations?: ReadonlySet<string>;
  /** `file\u0001line` of writes a route of the app reaches: app code whatever their path says (and their findings). */
  onAppPath?: ReadonlySet<string>;
  /** `file\u0001line` of writes only the tests reach (test support only tests call): set aside as tests. */
  onTestPath?: ReadonlySet<string>;
}): { sites: S[]; findings: F[]; setAsideSites: (S & { setAside: SetAsideKind })[]; summary: SetAsideSummary } {
  // Asked for every file, then for every site and finding in them: decided once per file.
  const kinds = new Map<string, SetAsideKind | null>();
  const kindOf = (file: string): SetAsideKind | null => {
    let kind = kinds.get(file);
    if (kind === undefined) {
      // Another database's code is never judged against the Postgres model, whatever `include` says.
      kind = input.otherDatabase?.has(file)
        ? 'other-database'
        : input.migrations?.has(file) && !input.include.includes('migrations')
          ? 'migrations'
          : setAsideUnder(file, input.include);
      kinds.set(file, kind);
    }
    return kind;
  };
  const zero = (): Record<SetAsideKind, number> => ({ tests: 0, seeds: 0, migrations: 0, 'other-database': 0 });
  const summary: SetAsideSummary = { files: zero(), writeSites: zero(), findings: 0 };
  for (const f of input.files) {
    const k = kindOf(f);
    if (k) summary.files[k]++;
  }
  const sites: S[] = [];
  const setAsideSites: (S & { setAside: SetAsideKind })[] = [];
  const app = (x: { file: string; line?: number }): boolean => !!input.onAppPath?.has(`${x.file}\u0001${x.line}`);
  const onTests = (x: { file: string; line?: number }): boolean =>
    !input.include.includes('tests') && !!input.onTestPath?.has(`${x.file}\u0001${x.line}`);
  // A write only the tests reach is set aside as theirs where its file is app code by its path.
  const kindAt = (x: { file: string; line?: number }): SetAsideKind | null =>
    kindOf(x.file) ?? (onTests(x) ? 'tests' : null);
  for (const s of input.sites) {
    const k = kindAt(s);
    if (!k || (k !== 'other-database' && app(s))) sites.push(s);
    else {
      summary.writeSites[k]++;
      setAsideSites.push({ ...s, setAside: k });
    }
  }
  const findings: F[] = [];
  for (const f of input.findings) {
    const k = kindAt(f);
    if (k && leavesReport(k, f, app(f))) summary.findings++;
    else findings.push(f);
  }
  return { sites, findings, setAsideSites, summary };
}

/**
 * Whether a finding in a set-aside file stays in the report: schema findings sit on migrations (.sql, or the line of
 * a code migration that holds the statement), about the model, not a write path. The ESLint plugin asks the same.
 */
export function survivesSetAside(f: { file: string; ruleId: string }): boolean {
  return f.file.endsWith('.sql') || MODEL_RULES.has(f.ruleId);
}

/**
 * Whether a finding of a file set aside as `kind` leaves the report: not a schema finding, and not at a write a route
 * reaches (`onAppPath`: a seed's or migration's write on a request's path is app code; another database's never is).
 * The ESLint plugin asks the same, file by file.
 */
export function leavesReport(kind: SetAsideKind, f: { file: string; ruleId: string }, onAppPath: boolean): boolean {
  return !survivesSetAside(f) && (kind === 'other-database' || !onAppPath);
}

/** The kind a file is set aside as under the config's `includeWritesFrom`, or null when it is judged as app code. */
export function setAsideUnder(relPath: string, include: readonly string[] | undefined): SetAsideKind | null {
  const kind = setAsideKind(relPath);
  return kind && !(include ?? []).includes(kind) ? kind : null;
}

/** One sentence for the diagnostics, or null when nothing was set aside. */
// (other-database files are named one by one by the walker, with the library that says so)
export function setAsideNote(summary: SetAsideSummary): string | null {
  // Files that held nothing to set aside (a migration with no writes) need no sentence.
  const parts = SET_ASIDE_KINDS.filter(
    (k) => summary.files[k] > 0 && (summary.writeSites[k] > 0 || summary.findings > 0),
  ).map((k) => `${summary.files[k]} ${k} file(s) with ${summary.writeSites[k]} write site(s)`);
  if (!parts.length) return null;
  return `set aside from the app's verdicts and coverage: ${parts.join(', ')} and ${summary.findings} finding(s); ` +
    `they are listed in setAsideWriteSites. List "tests", "seeds" or "migrations" in "includeWritesFrom" in the ` +
    `config to judge those as app code`;
}
