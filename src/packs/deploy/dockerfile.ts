import type * as DockerfileAst from 'dockerfile-ast';
import type { Property } from 'dockerfile-ast';
import { lazyRequire } from '../../lazy-require.js';
import type { DeployScan, DeployVar, Span } from './types.js';

// Dockerfile ENV and ARG instructions, read by dockerfile-ast (the parser of the VS Code
// Docker extension): `ENV K=V K2="v 2"`, the legacy `ENV K value`, `ARG K[=default]`,
// continuation lines, heredocs and the `# escape=` directive are its job. Every name keeps
// its physical line and column across continuations.

/** A position range as dockerfile-ast gives it: 0-based lines and characters, end exclusive. */
type Range = ReturnType<Property['getNameRange']>;

const dockerfileAst = lazyRequire<typeof DockerfileAst>('dockerfile-ast');

export function scanDockerfile(text: string): DeployScan {
  const { DockerfileParser, PropertyInstruction } = dockerfileAst();
  const vars: DeployVar[] = [];
  const diagnostics: string[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword();
    // Both are property instructions; ARG takes several names at once too (`ARG A=1 B`).
    if ((keyword !== 'ENV' && keyword !== 'ARG') || !(instruction instanceof PropertyInstruction)) continue;
    const present = instruction.getProperties();
    if (present.length === 0) {
      diagnostics.push(`line ${instruction.getRange().start.line + 1}: ${keyword} without arguments`);
      continue;
    }
    for (const p of present) vars.push(variable(p, keyword));
  }
  const values = vars
    .filter((v) => v.value !== undefined && v.valueSpan)
    .map((v) => ({ value: v.value!, span: v.valueSpan! }));
  return { vars, values, diagnostics };
}

function variable(p: Property, keyword: 'ENV' | 'ARG'): DeployVar {
  const valueRange = p.getValueRange();
  // An ENV always sets its variable (to '' when no value is written); an ARG without a
  // default leaves it to the build, so its value is unknown.
  const value = p.getValue() ?? (keyword === 'ENV' ? '' : undefined);
  const hasValue = valueRange !== null && !sameAt(valueRange);
  return {
    name: p.getName(),
    value,
    nameSpan: span(p.getNameRange()),
    ...(hasValue ? { valueSpan: span(valueRange) } : {}),
  };
}

/** dockerfile-ast's 0-based LSP range as the report's 1-based span (end still exclusive). */
function span(range: Range): Span {
  const { start, end } = range;
  return { line: start.line + 1, column: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
}

function sameAt(range: Range): boolean {
  return range.start.line === range.end.line && range.start.character === range.end.character;
}
