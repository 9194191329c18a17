import path from 'node:path';
import type ts from 'typescript';
import { readSource } from '../files/source.js';
import { deployFindings } from './deploy/check.js';
import { deployFormat, scanDeployText } from './deploy/formats.js';
import type { DeployFormat, DeployScan } from './deploy/types.js';
import type { InputStore } from '../files/input-store.js';
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
  /** The audit's cache: each deployment file's scan kept by its content, so an unchanged file is not read. */
  inputs?: InputStore;
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
  /**
   * The deployment files this pass read and scanned itself (not answered from the cache), by absolute path: the
   * platform check (platform-use.ts) reads the same files for the variables they set, and takes these scans instead
   * of reading and parsing each file (its YAML above all) a second time.
   */
  deployScans?: Map<string, ReadDeployFile>;
}

/** A deployment file's scan, and whether its text names the pack schema (a pack file, not a deployment). */
export interface ReadDeployFile {
  format: DeployFormat;
  mentionsPackSchema: boolean;
  scan: DeployScan;
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
  const deployScans = new Map<string, ReadDeployFile>();
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
    const read = scanned(abs, format, input.inputs, deployScans);
    if (!read.ok) {
      result.diagnostics.push({ file, message: read.reason });
      continue;
    }
    // A pack file lists the names it flags; it is not a deployment.
    if (read.packFile) continue;
    result.deployFiles++;
    for (const d of read.scan.diagnostics) result.diagnostics.push({ file, message: d });
    result.deploySuppressions.set(file, read.suppressions);
    result.findings.push(...deployFindings(file, read.scan, m));
  }
  result.deployScans = deployScans;
  return result;
}

type Scanned =
  | { ok: true; packFile: boolean; scan: DeployScan; suppressions: Suppression[] }
  | { ok: false; reason: string };

/** A deployment file read and scanned (what its text alone decides), from the cache by its content if there is one. */
function scanned(
  abs: string,
  format: DeployFormat,
  inputs: InputStore | undefined,
  read: Map<string, ReadDeployFile>,
): Scanned {
  const compute = (): Scanned => {
    const source = readSource(abs);
    if (!source.ok) return source;
    const mentionsPackSchema = source.text.includes('pack.schema.json');
    const packFile = format === 'json' && mentionsPackSchema;
    const scan = packFile ? { vars: [], values: [], diagnostics: [] } : scanDeployText(format, source.text);
    if (!packFile) read.set(abs, { format, mentionsPackSchema, scan });
    return { ok: true, packFile, scan, suppressions: packFile ? [] : hashSuppressions(source.text) };
  };
  const d = inputs?.digest(abs);
  // Unreadable now: read again, for the reason (it may be one that does not last).
  if (!inputs || !d) return compute();
  return inputs.remember('deploy', `${format}\0${d.hash}`, compute, (r) => r.ok);
}

function packSources(input: PackAuditInput): { kind: SourceKind; ref: string }[] {
  return input.packs.packs.map((p) => ({ kind: 'pack' as const, ref: p.id }));
}

