import ts from '../ts.js';
import { adapters, type DbAdapter, type ExecutorKind } from '../adapters/index.js';

// Extra evidence from the type checker, when the audited project has its types installed:
// an expression whose type is declared by a database library (pg's PoolClient, say) is an
// executor even when its provenance cannot be traced syntactically.

export interface TypeEvidence {
  executorOf(expr: ts.Expression): { adapter: DbAdapter; exec: ExecutorKind; typeName: string } | undefined;
}

export function checkerEvidence(checker: ts.TypeChecker): TypeEvidence {
  return {
    executorOf(expr) {
      let type: ts.Type;
      try {
        type = checker.getTypeAtLocation(expr);
      } catch {
        return undefined; // a node from outside the program, or a checker crash on odd input
      }
      const candidates = type.isUnion() ? type.types : [type];
      for (const t of candidates) {
        for (const symbol of [t.aliasSymbol, t.getSymbol()]) {
          const found = symbol && fromSymbol(symbol);
          if (found) return found;
        }
      }
      return undefined;
    },
  };
}

function fromSymbol(symbol: ts.Symbol): { adapter: DbAdapter; exec: ExecutorKind; typeName: string } | undefined {
  const name = symbol.getName();
  const file = symbol.getDeclarations()?.[0]?.getSourceFile().fileName.replace(/\\/g, '/');
  if (!file) return undefined;
  for (const adapter of adapters) {
    const exec = adapter.executorTypes[name];
    if (
      exec &&
      adapter.modules.some((m) => file.includes(`/node_modules/${m}/`) || file.includes(`/node_modules/@types/${m}/`))
    ) {
      return { adapter, exec, typeName: name };
    }
  }
  return undefined;
}
