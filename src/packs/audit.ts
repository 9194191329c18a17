import path from 'node:path';
import type ts from 'typescript';
import { RULES } from '../../rules/catalog.js';
import { readSource } from '../analysis/source-host.js';
import { deployFindings } from '../deploy/check.js';
import { deployFormat, scanDeployText } from '../deploy/formats.js';
import { walkFiles } from '../files/walk.js';
import { FingerprintCounter, normalizeCode } from '../report/fingerprint.js';
import { findSuppressions, parseDirective, suppressionFor, type Suppression } from '../report/suppressions.js';
import type { Finding, SourceKind } from '../report/types.js';
import { scanCode } from './code.js';
import type { PackSet } from './load.js';
import { matcherFor } from './matcher.js';

// The walker's pack pass: the pack rules over every parsed source file, and over the
// deployment files under the audited paths (.env*, YAML, Dockerfiles, JSON config).

export interface PackAuditInput {
  root: string;
  paths: string[];
  ignore: readonly string[];
  packs: PackSet;
  /** Source files the walker already parsed. */
  sourceFiles: readonly ts.SourceFile[];
  /** False: the source files only (the audit cache scans deployment files once per run, source files once per content). */
  deploy?: boolean;
}

export interface PackAuditResult {
  findings: Finding[];
  /** `incomplete`: a file the pack rules could not scan in full. */
  diagnostics: { file: string; message: string; incomplete?: boolean }[];
  /** `file:line` of suppression comments that a pack finding used (the core sees them as unused). */
  usedSuppressions: Set<string>;
  deployFiles: number;
  sources: { kind: SourceKind; ref: string }[];
}

export function packAudit(input: PackAuditInput): PackAuditResult {
  const m = matcherFor(input.packs);
  const result: PackAuditResult = { findings: [], diagnostics: [], usedSuppressions: new Set(), deployFiles: 0, sources: packSources(input) };
  for (const sf of input.sourceFiles) {
    const file = rel(input.root, sf.fileName);
    const suppressions = findSuppressions(sf);
    const ids = new FingerprintCounter();
    let matches: ReturnType<typeof scanCode>;
    try {
      matches = [...scanCode(sf, m)];
    } catch (error) {
      // Pathologically deep code can overflow the scan's recursion: a gap, not a crash.
      result.diagnostics.push({ file, incomplete: true, message: `the pack rules could not scan this file (${error instanceof RangeError ? 'the code is nested too deeply' : (error as Error).message})` });
      continue;
    }
    for (const match of matches) {
      const a = sf.getLineAndCharacterOfPosition(match.start);
      const b = sf.getLineAndCharacterOfPosition(match.end);
      const finding: Finding = {
        ruleId: match.ruleId,
        severity: match.severity,
        file,
        line: a.line + 1,
        column: a.character + 1,
        endLine: b.line + 1,
        endColumn: b.character + 1,
        message: match.message,
        fingerprint: ids.next([match.ruleId, file, match.entry.name, normalizeCode(sf.text.slice(match.start, match.end))]),
      };
      if (!suppressed(suppressions, finding, file, result.usedSuppressions)) result.findings.push(finding);
    }
  }
  if (input.deploy === false) return result;
  const packFiles = new Set(input.packs.userFiles.map((f) => path.resolve(input.root, f)));
  // .env files are usually git-ignored, yet they are what the service boots with: they are
  // read even then. Every other deployment file follows .gitignore like the sources.
  const tracked = new Set(walkFiles(input.paths, { extensions: [''], ignore: input.ignore }, input.root).files);
  const walked = walkFiles(input.paths, { extensions: [''], ignore: input.ignore, gitignore: false }, input.root);
  for (const abs of walked.files) {
    const format = deployFormat(abs);
    if (!format || packFiles.has(abs) || (format !== 'dotenv' && !tracked.has(abs))) continue;
    const file = rel(input.root, abs);
    const read = readSource(abs);
    if (!read.ok) {
      result.diagnostics.push({ file, message: read.reason });
      continue;
    }
    // A pack file lists the names it flags; it is not a deployment.
    if (format === 'json' && read.text.includes('pack.schema.json')) continue;
    result.deployFiles++;
    const scan = scanDeployText(format, read.text);
    for (const d of scan.diagnostics) result.diagnostics.push({ file, message: d });
    const suppressions = hashSuppressions(read.text);
    for (const f of deployFindings(file, scan, m)) if (!suppressed(suppressions, f, file, result.usedSuppressions)) result.findings.push(f);
    result.findings.push(...suppressionFindings(suppressions, file));
  }
  return result;
}

function suppressed(suppressions: Suppression[], f: Finding, file: string, used: Set<string>): boolean {
  const s = suppressionFor(suppressions, f.ruleId, f.line);
  if (!s) return false;
  s.used = true;
  used.add(`${file}:${s.line}`);
  return true;
}

/** `# rls-guard-ignore-next-line <rule> -- <reason>` in .env, YAML and Dockerfiles. */
function hashSuppressions(text: string): Suppression[] {
  const out: Suppression[] = [];
  text.split('\n').forEach((line, i) => {
    const hash = line.indexOf('#');
    if (hash === -1 || line.slice(0, hash).trim() !== '') return;
    const directive = parseDirective(line.slice(hash + 1).trim());
    if (directive) out.push({ line: i + 1, column: hash + 1, endLine: i + 1, endColumn: line.trimEnd().length + 1, ...directive, used: false });
  });
  return out;
}

function suppressionFindings(suppressions: Suppression[], file: string): Finding[] {
  const ids = new FingerprintCounter();
  return suppressions
    .filter((s) => !s.reason || !s.used)
    .map((s) => {
      const ruleId = s.reason ? 'no-unused-suppression' : 'no-unjustified-suppression';
      const message = s.reason
        ? `This rls-guard-ignore-next-line comment (${s.ruleIds.join(',') || 'all rules'}) suppresses nothing on the next line; remove it.`
        : 'This rls-guard-ignore-next-line comment has no reason, so it suppresses nothing. Say why after `--`.';
      return { ruleId, severity: RULES[ruleId].severity, file, line: s.line, column: s.column, endLine: s.endLine, endColumn: s.endColumn, message, fingerprint: ids.next([ruleId, file, s.ruleIds.join(','), s.reason ?? '']) };
    });
}

function packSources(input: PackAuditInput): { kind: SourceKind; ref: string }[] {
  return input.packs.packs.map((p) => ({ kind: 'pack' as const, ref: p.id }));
}

function rel(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
