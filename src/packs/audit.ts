import path from 'node:path';
import type ts from 'typescript';
import { readSource } from '../files/source.js';
import { deployFindings } from './deploy/check.js';
import { deployFormat, scanDeployText } from './deploy/formats.js';
import { walkFiles } from '../files/walk.js';
import { FingerprintCounter, normalizeCode } from '../report/fingerprint.js';
import type { RuleFinding } from '../report/rule-finding.js';
import { hashSuppressions, type Suppression } from '../report/suppressions.js';
import type { SourceKind } from '../report/types.js';
import { scanCode } from './code.js';
import type { PackSet } from './load.js';
import { matcherFor } from './matcher.js';
import { toPosixRelative } from '../files/paths.js';

// The walker's pack pass: the pack rules over every parsed source file, and over the
// deployment files under the audited paths (.env*, YAML, Dockerfiles, JSON config).

export interface PackAuditInput {
  root: string;
  paths: string[];
  ignore: readonly string[];
  packs: PackSet;
  /** Source files the walker already parsed. */
  sourceFiles: readonly ts.SourceFile[];
  /**
   * False: the source files only (the audit cache scans deployment files once per run, source files once per content).
   */
  deploy?: boolean;
}

export interface PackAuditResult {
  /** Before suppressions: the walker applies them once, with the core's findings (src/report/suppressions.ts). */
  findings: RuleFinding[];
  /** `incomplete`: a file the pack rules could not scan in full. */
  diagnostics: { file: string; message: string; incomplete?: boolean }[];
  /** The `# rls-guard-ignore-next-line` comments of each deployment file read. */
  deploySuppressions: Map<string, Suppression[]>;
  deployFiles: number;
  sources: { kind: SourceKind; ref: string }[];
}

export function packAudit(input: PackAuditInput): PackAuditResult {
  const m = matcherFor(input.packs);
  const result: PackAuditResult = {
    findings: [],
    diagnostics: [],
    deploySuppressions: new Map(),
    deployFiles: 0,
    sources: packSources(input),
  };
  for (const sf of input.sourceFiles) {
    const file = toPosixRelative(input.root, sf.fileName);
    const ids = new FingerprintCounter();
    let matches: ReturnType<typeof scanCode>;
    try {
      matches = [...scanCode(sf, m)];
    } catch (error) {
      // Pathologically deep code can overflow the scan's recursion: a gap, not a crash.
      result.diagnostics.push({
        file,
        incomplete: true,
        message: `the pack rules could not scan this file ` +
          `(${error instanceof RangeError ? 'the code is nested too deeply' : (error as Error).message})`,
      });
      continue;
    }
    for (const match of matches) {
      const a = sf.getLineAndCharacterOfPosition(match.start);
      const b = sf.getLineAndCharacterOfPosition(match.end);
      const place = {
        file,
        line: a.line + 1,
        column: a.character + 1,
        endLine: b.line + 1,
        endColumn: b.character + 1,
      };
      const fingerprint = ids.next([
        match.ruleId,
        file,
        match.entry.name,
        normalizeCode(sf.text.slice(match.start, match.end)),
      ]);
      result.findings.push({
        ruleId: match.ruleId,
        messageId: match.messageId,
        data: match.data,
        ...place,
        fingerprint,
      });
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
    const file = toPosixRelative(input.root, abs);
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
    result.deploySuppressions.set(file, hashSuppressions(read.text));
    result.findings.push(...deployFindings(file, scan, m));
  }
  return result;
}

function packSources(input: PackAuditInput): { kind: SourceKind; ref: string }[] {
  return input.packs.packs.map((p) => ({ kind: 'pack' as const, ref: p.id }));
}

