import fs from 'node:fs';

// JSON.parse says where a syntax error is as a character offset ("at position 35"); people
// fix files by line and column, so configuration, pack and baseline errors say those instead.

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(jsonErrorMessage(text, error as Error));
  }
}

function jsonErrorMessage(text: string, error: Error): string {
  const message = error.message;
  const at = /\bat position (\d+)/.exec(message);
  const position = at ? Number(at[1]) : /end of (JSON|data) input/i.test(message) ? text.length : undefined;
  const what = message
    .replace(/,? (in JSON )?at position \d+.*$/s, '')
    .replace(/^Unexpected end of JSON input$/, 'the file ends too early');
  if (position === undefined) return `invalid JSON: ${what}`;
  const before = text.slice(0, position).split('\n');
  return `invalid JSON at line ${before.length}, column ${before[before.length - 1]!.length + 1}: ${what}`;
}

/**
 * A JSON file's value. An unreadable file or invalid JSON throws `Failure` with one message
 * shape for every JSON input (packs, baselines): the file, what it was read as, and why
 * (the system's reason, or the line and column of the syntax error).
 */
export function readJsonFile(file: string, what: string, Failure: new (message: string) => Error = Error): unknown {
  try {
    return parseJson(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Failure(`${file}: cannot read the ${what}: ${(error as Error).message}`);
  }
}
