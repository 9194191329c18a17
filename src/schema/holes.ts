// A hole is an interpolation the SQL folder could not make constant; fillHoles() stands it in
// as a bind parameter `$901`, `$902`… so the parser can judge the statement's shape. A bind
// parameter is a value: where it lands in a name instead (`ALTER TABLE "${t}" …` parses as a
// table called `$901`, `CREATE POLICY ${t}_isolation` as a policy name) the statement's target
// is unknown, and the model must not learn a phantom object from it.

const HOLE_NAME = /\$9\d\d/;

/**
 * The first hole that sits in an identifier of a parsed statement (a table, schema, policy,
 * role or function name, or the body of a DO block), or null when every hole is a value:
 * a ParamRef (numbers, never strings) or text inside a string constant.
 */
export function holeInIdentifier(stmt: unknown): string | null {
  let found: string | null = null;
  const visit = (node: unknown, inConstant: boolean): void => {
    if (found !== null) return;
    if (typeof node === 'string') {
      if (!inConstant) found = HOLE_NAME.exec(node)?.[0] ?? null;
      return;
    }
    if (Array.isArray(node)) {
      for (const item of node) visit(item, inConstant);
      return;
    }
    if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) visit(value, inConstant || key === 'A_Const');
    }
  };
  visit(stmt, false);
  return found;
}
