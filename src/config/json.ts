// JSON.parse says where a syntax error is as a character offset ("at position 35"); people
// fix files by line and column, so configuration and baseline errors say those instead.

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(jsonErrorMessage(text, error as Error));
  }
}

export function jsonErrorMessage(text: string, error: Error): string {
  const message = error.message;
  const at = /\bat position (\d+)/.exec(message);
  const position = at ? Number(at[1]) : /end of (JSON|data) input/i.test(message) ? text.length : undefined;
  const what = message.replace(/,? (in JSON )?at position \d+.*$/s, '').replace(/^Unexpected end of JSON input$/, 'the file ends too early');
  if (position === undefined) return `invalid JSON: ${what}`;
  const before = text.slice(0, position).split('\n');
  return `invalid JSON at line ${before.length}, column ${before[before.length - 1]!.length + 1}: ${what}`;
}
