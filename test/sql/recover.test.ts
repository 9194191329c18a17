import { describe, expect, it } from 'vitest';
import { recoverStatements } from '../../src/sql/parser.js';

// What a migration with errors still yields: every readable statement, and exact lost spans.

const kinds = (text: string): string[] => recoverStatements(text).statements.map((s) => Object.keys(s.stmt)[0]!);
const lost = (text: string): string[] => recoverStatements(text).lost.map((l) => `${text.slice(l.from, l.to ?? undefined).trim()} :: ${l.reason}`);

describe('recoverStatements', () => {
  it('keeps the statements around two lexing errors and a syntax error, in order', () => {
    const text = [
      'CREATE TABLE a (id int);',
      "COMMENT ON TABLE a IS 'open;",
      'CREATE TABLE b (id int);',
      'SELEC 1;',
      'CREATE TABLE c (id int);',
      '/* never closed;',
      'CREATE TABLE d (id int);',
    ].join('\n');
    expect(kinds(text)).toEqual(['CreateStmt', 'CreateStmt', 'CreateStmt', 'CreateStmt']);
    expect(recoverStatements(text).statements.map((s) => ((s.stmt.CreateStmt as { relation: { relname: string } }).relation.relname))).toEqual(['a', 'b', 'c', 'd']);
    expect(lost(text)).toEqual([
      "COMMENT ON TABLE a IS 'open; :: unterminated quoted string",
      'SELEC 1 :: syntax error at or near "SELEC"',
      '/* never closed; :: unterminated /* comment',
    ]);
  });

  it('locations point into the whole text, in bytes, past multi-byte characters', () => {
    const text = "CREATE TABLE é (id int);\nCOMMENT ON TABLE é IS 'x;\nCREATE TABLE ü (id int);\n";
    const { statements } = recoverStatements(text);
    expect(statements.map((s) => Buffer.from(text).subarray(s.location).toString().slice(0, 14))).toEqual(['CREATE TABLE é', 'CREATE TABLE ü']);
  });

  it('after an unterminated dollar-quote, reading resumes at the first boundary after which the text scans', () => {
    const text = 'CREATE TABLE a (id int);\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\nSELECT 2;\n';
    expect(kinds(text)).toEqual(['CreateStmt', 'SelectStmt']);
    expect(recoverStatements(text).lost).toEqual([{ from: 25, to: text.indexOf('SELECT 1;') + 9, reason: 'unterminated dollar-quoted string' }]);
  });

  it('with no later boundary, everything from the error on is lost, and the span says so', () => {
    const { statements, lost: spans } = recoverStatements('CREATE TABLE a (id int);\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1\n  FROM t\n');
    expect(statements).toHaveLength(1);
    expect(spans).toEqual([{ from: 25, to: null, reason: 'unterminated dollar-quoted string' }]);
  });
});
