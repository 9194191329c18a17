import { describe, expect, it } from 'vitest';
import ts from '../../src/ts.js';
import { otherDatabaseOf } from '../../src/report/other-database.js';

// otherDatabaseOf walks a file for require()/import() only when what it could find would change its answer
// (cpu31, docs/performance.md): counted at the walk's first step, the source file's children (only the walk reads
// its end-of-file token).
function read(text: string): { other: string | null; walked: number } {
  const sf = ts.createSourceFile('/app/src/db.ts', text, ts.ScriptTarget.Latest, true);
  const token = sf.endOfFileToken;
  let walked = 0;
  Object.defineProperty(sf, 'endOfFileToken', {
    get: () => {
      walked++;
      return token;
    },
  });
  return { other: otherDatabaseOf(sf), walked };
}

describe("another database's code, read from the file's requires only when they can change the answer", () => {
  it('does not walk a file that requires no database', () => {
    expect(read("import _ from 'lodash';\nconst u = require('./util');\nexport const x = await import('./y');")).toEqual(
      { other: null, walked: 0 },
    );
  });

  it('does not walk a file whose imports already name Postgres', () => {
    expect(read("import { Pool } from 'pg';\nconst s = require('sqlite3');")).toEqual({ other: null, walked: 0 });
  });

  it("walks a file that may require another database, and finds it", () => {
    expect(read("const Database = require('better-sqlite3');")).toEqual({
      other: "sqlite via 'better-sqlite3'",
      walked: 1,
    });
    expect(read("export const client = async () => (await import('@libsql/client')).createClient();")).toEqual({
      other: "sqlite via '@libsql/client'",
      walked: 1,
    });
    expect(read("const { connect } = require('@planetscale/database');").other).toBe(
      "mysql via '@planetscale/database'",
    );
    expect(read("const sql = require('@tauri-apps/plugin-sql');").other).toBe("sqlite via '@tauri-apps/plugin-sql'");
  });

  it('walks a file importing another database that may require Postgres too, and finds Postgres', () => {
    expect(read("import Database from 'better-sqlite3';\nconst { Pool } = require('pg');")).toEqual({
      other: null,
      walked: 1,
    });
    expect(read("import m from 'mysql2';\nconst n = require('@neondatabase/serverless');").other).toBeNull();
    expect(read("import { t } from 'drizzle-orm/sqlite-core';\nrequire('drizzle-orm/neon-http');").other).toBeNull();
    expect(read("import m from 'mysql';\nconst s = require('slonik');").other).toBeNull();
  });

  it('keeps the answer of an import naming another database when no Postgres word is in view', () => {
    expect(read("import Database from 'better-sqlite3';\nconst u = require('./util');")).toEqual({
      other: "sqlite via 'better-sqlite3'",
      walked: 0,
    });
  });

  it('finds every module of both lists by a require alone (each holds a word the pre-check looks for)', () => {
    const others = [
      'expo-sqlite', 'expo-sqlite/next', 'better-sqlite3', 'sqlite3', 'sqlite', 'bun:sqlite', 'node:sqlite', 'sql.js',
      '@tauri-apps/plugin-sql', 'tauri-plugin-sql-api', '@op-engineering/op-sqlite', 'react-native-sqlite-storage',
      'react-native-quick-sqlite', '@libsql/client', 'mysql', 'mysql2', 'mysql2/promise', '@planetscale/database',
      'drizzle-orm/d1', 'drizzle-orm/tidb-serverless', 'drizzle-orm/singlestore', 'drizzle-orm/durable-sqlite',
    ];
    for (const m of others) expect(read(`const d = require('${m}');`).other, m).toMatch(/^(sqlite|mysql) via /);
    const postgres = [
      'pg', 'pg-pool', 'postgres', 'pg-promise', 'slonik', '@neondatabase/serverless', '@vercel/postgres',
      '@electric-sql/pglite', 'drizzle-orm/node-postgres', 'drizzle-orm/neon-http', 'drizzle-orm/xata-http',
      'drizzle-orm/aws-data-api/pg',
    ];
    for (const m of postgres) expect(read(`import D from 'expo-sqlite';\nrequire('${m}');`).other, m).toBeNull();
  });
});
