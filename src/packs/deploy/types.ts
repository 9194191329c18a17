// What a deployment file sets: its variables (with where the name and the value are) and
// every scalar value (for client ids and header names written outside env blocks).

/** 1-based, like the report. */
export interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface DeployVar {
  /** The environment variable's name. */
  name: string;
  /** How the file spells it when that differs (a Spring property: security.oauth2.realm). */
  written?: string;
  /** The literal value; undefined when set from elsewhere (a secret, a config map) or not given. */
  value: string | undefined;
  /** Set from a reference (valueFrom, secretKeyRef): not blank, value unknown. */
  fromRef?: boolean;
  nameSpan: Span;
  valueSpan?: Span;
}

export interface DeployValue {
  value: string;
  span: Span;
}

export interface DeployScan {
  vars: DeployVar[];
  values: DeployValue[];
  /** Parse problems; the scan keeps what it could read. */
  diagnostics: string[];
}

export type DeployFormat = 'dotenv' | 'dockerfile' | 'yaml' | 'json' | 'spring-yaml' | 'spring-properties';

/** Line and column (1-based) of every offset of a text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.starts.push(i + 1);
  }

  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }

  span(start: number, end: number): Span {
    const a = this.at(start);
    const b = this.at(end);
    return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }
}
