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
import { stableHash } from '../cache/stable-hash.js';

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
  // The pack rules' findings in a deployment file are a function of its content, its name and the packs: kept by
  // those, so that a warm run neither reads the file nor holds its scan (every scalar value of a YAML file: 2.3 MB of
  // the input cache on a 525 KLOC repository, read back on every run).
  const packsKey = input.inputs ? stableHash(input.packs) : '';
  for (const abs of walked.files) {
    const format = deployFormat(abs);
    if (!format || packFiles.has(abs) || (format !== 'dotenv' && !tracked.has(abs))) continue;
    const file = toPosixRelative(input.root, abs);
    const checked = deployChecked(abs, file, format, m, input.inputs, packsKey, deployScans);
    if (!checked.ok) {
      result.diagnostics.push({ file, message: checked.reason });
      continue;
    }
    // A pack file lists the names it flags; it is not a deployment.
    if (checked.packFile) continue;
    result.deployFiles++;
    for (const d of checked.diagnostics) result.diagnostics.push({ file, message: d });
    result.deploySuppressions.set(file, checked.suppressions);
    result.findings.push(...checked.findings);
  }
  result.deployScans = deployScans;
  return result;
}

type Checked =
  | { ok: true; packFile: boolean; diagnostics: string[]; suppressions: Suppression[]; findings: RuleFinding[] }
  | { ok: false; reason: string };

/**
 * A deployment file read, scanned and checked by the pack rules, from the cache by its content, name and packs if
 * there is one (an unreadable file is read again next run, for the reason: it may be one that does not last).
 */
function deployChecked(
  abs: string,
  file: string,
  format: DeployFormat,
  m: ReturnType<typeof matcherFor>,
  inputs: InputStore | undefined,
  packsKey: string,
  read: Map<string, ReadDeployFile>,
): Checked {
  const compute = (): Checked => {
    const source = readSource(abs);
    if (!source.ok) return source;
    const mentionsPackSchema = source.text.includes('pack.schema.json');
    const packFile = format === 'json' && mentionsPackSchema;
    if (packFile) return { ok: true, packFile, diagnostics: [], suppressions: [], findings: [] };
    const scan: DeployScan = scanDeployText(format, source.text);
    read.set(abs, { format, mentionsPackSchema, scan });
    return {
      ok: true,
      packFile,
      diagnostics: scan.diagnostics,
      suppressions: hashSuppressions(source.text),
      findings: deployFindings(file, scan, m),
    };
  };
  const d = inputs?.digest(abs);
  if (!inputs || !d) return compute();
  return inputs.remember('deploy-checked', `${format}\0${d.hash}\0${file}\0${packsKey}`, compute, (r) => r.ok);
}

function packSources(input: PackAuditInput): { kind: SourceKind; ref: string }[] {
  return input.packs.packs.map((p) => ({ kind: 'pack' as const, ref: p.id }));
}

