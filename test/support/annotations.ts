import fs from 'node:fs';
import path from 'node:path';

// Fixture apps state the verdict each write site must get, in comments above it:
//   // expect: <coverage> [via=<name>] [suppressed]
//   // expect: none                         (a decoy: no write site on the next line)
//   // expect-finding: <rule-id>            (a finding must start on the next line)
// The annotation applies to the next line that is not a comment.

export interface Expectation {
  file: string;
  /** Line of the code the annotation applies to. */
  line: number;
  kind: 'site' | 'none' | 'finding';
  coverage?: string;
  via?: string;
  suppressed?: boolean;
  ruleId?: string;
}

export function readExpectations(root: string, files: string[]): Expectation[] {
  const out: Expectation[] = [];
  for (const file of files) {
    const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const m = /^\s*\/\/\s*(expect|expect-finding):\s*(.+?)\s*$/.exec(text);
      if (!m) return;
      let target = i + 1;
      while (target < lines.length && /^\s*(\/\/|\/\*|\*)/.test(lines[target]!)) target++;
      const base = { file, line: target + 1 };
      if (m[1] === 'expect-finding') {
        out.push({ ...base, kind: 'finding', ruleId: m[2]! });
        return;
      }
      const words = m[2]!.split(/\s+/);
      if (words[0] === 'none') {
        out.push({ ...base, kind: 'none' });
        return;
      }
      const via = words.find((w) => w.startsWith('via='))?.slice(4);
      out.push({ ...base, kind: 'site', coverage: words[0]!, ...(via ? { via } : {}), suppressed: words.includes('suppressed') });
    });
  }
  return out;
}

export function sourceFiles(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile() && /\.(ts|tsx|js|mjs|cjs)$/.test(d.name) && !d.parentPath.includes('node_modules'))
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
}

/** The annotated verdicts and the report's, as comparable sorted lines: "file:line coverage [suppressed]". */
export function annotatedVerdicts(
  report: { writeSites: { file: string; line: number; coverage: string; suppressed: unknown }[] },
  expectations: Expectation[],
): { actual: string[]; wanted: string[] } {
  const line = (file: string, n: number, coverage: string | undefined, suppressed: unknown): string => `${file}:${n} ${coverage}${suppressed ? ' suppressed' : ''}`;
  return {
    actual: report.writeSites.map((s) => line(s.file, s.line, s.coverage, s.suppressed)).sort(),
    wanted: expectations.filter((e) => e.kind === 'site').map((e) => line(e.file, e.line, e.coverage, e.suppressed)).sort(),
  };
}

/** Every `via=` annotation against the report's `via` at that line: [got, wanted, where][]. */
export function annotatedProviders(report: { writeSites: { file: string; line: number; via: string | null }[] }, expectations: Expectation[]): [string | null | undefined, string, string][] {
  return expectations
    .filter((x) => x.kind === 'site' && x.via)
    .map((e) => [report.writeSites.find((s) => s.file === e.file && s.line === e.line)?.via, e.via!, `${e.file}:${e.line}`]);
}
