import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { declaredTypeOf } from '../../src/analysis/declared-receiver.js';
import { OriginResolver } from '../../src/code/origins.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { parseSource } from '../../src/files/source.js';

// The declaration a receiver is declared as, from the annotations along it: what lets a call on a
// method's result or a callback's parameter reach the implementations of a codebase interface.

const CODE = `
interface Database {
  asOwner(): Database;
  load(): Promise<Database>;
  withTransaction<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  put(): void;
}
class Storage {
  constructor(public readonly db: Database) {}
}
class PgDatabase {
  asOwner() { return new PgDatabase(); }
  mixed(flag: boolean) { if (flag) return new PgDatabase(); return undefined; }
}
class Handler {
  constructor(private readonly storage: Storage, private readonly pg: PgDatabase) {}
  async run(maybe: Database | undefined) {
    const owner = this.storage.db.asOwner();
    r1(this.storage.db.asOwner());
    r2(owner);
    r3(await this.storage.db.load());
    await this.storage.db.withTransaction(async (tx) => { r4(tx); });
    r5(this.pg.asOwner());
    r6(this.pg.mixed(true));
    r7(maybe);
    r8(this.storage.db.load());
    this.storage.db.withTransaction(async (a, b) => { r9(b); });
  }
}
`;

function probes(): Map<string, string | undefined> {
  const sf = parseSource('/virtual/handler.ts', CODE);
  const origins = new OriginResolver(new FileSystemSourceHost([sf]));
  const out = new Map<string, string | undefined>();
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && /^r\d$/.test(n.expression.text)) {
      const decl = declaredTypeOf(origins, n.arguments[0]!);
      out.set(n.expression.text, decl?.name?.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('the declared type of a receiver', () => {
  const types = probes();

  it('follows fields of fields and the declared return of an interface method', () => {
    expect(types.get('r1')).toBe('Database');
    expect(types.get('r2')).toBe('Database');
  });

  it('unwraps Promise only where the value is awaited', () => {
    expect(types.get('r3')).toBe('Database');
    expect(types.get('r8')).toBeUndefined();
  });

  it('types an unannotated callback parameter by the method it is passed to', () => {
    expect(types.get('r4')).toBe('Database');
    expect(types.get('r9')).toBeUndefined();
  });

  it('reads a method without an annotation only when every return constructs one class', () => {
    expect(types.get('r5')).toBe('PgDatabase');
    expect(types.get('r6')).toBeUndefined();
  });

  it('reads a nullable annotation as its one declaration', () => {
    expect(types.get('r7')).toBe('Database');
  });
});
