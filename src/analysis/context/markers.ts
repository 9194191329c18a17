import ts from '../../ts.js';

// A variable of a framework's request context (Hono's `c.set('db', …)`, Express's `req.db`) is a
// store of the ambient machinery with no node of its own in the code: it is stood for by one
// synthetic marker node per framework and name, made once, recognised by identity and never
// printed by position.

const markers = new Map<string, ts.CallExpression>();

/** The marker standing for the variable `name` of a framework's request context. */
export function contextMarker(family: string, name: string): ts.CallExpression {
  const key = `${family}\u0000${name}`;
  let m = markers.get(key);
  if (!m) {
    m = ts.factory.createCallExpression(ts.factory.createIdentifier(family), undefined, [
      ts.factory.createStringLiteral(name),
    ]);
    markers.set(key, m);
  }
  return m;
}

/** The variable a store stands for, when it is a marker of this framework. */
export function markerName(store: ts.Node, family: string): string | undefined {
  if (!ts.isCallExpression(store) || store.parent) return undefined;
  const a = store.arguments[0];
  const name = a && ts.isStringLiteral(a) ? a.text : undefined;
  return name !== undefined && markers.get(`${family}\u0000${name}`) === store ? name : undefined;
}
