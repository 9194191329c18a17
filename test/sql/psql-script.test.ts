import { describe, expect, it } from 'vitest';
import { parseSql } from '../../src/sql/parser.js';
import { type IncludeReader, readPsqlScript } from '../../src/sql/psql-script.js';

// A `.sql` file read as psql reads it: meta-commands, variables, COPY data, \if branches, includes. The text handed on
// keeps every line where it was (meta-command lines and data blanked), so every later line number stays true.

const read = (text: string, include?: IncludeReader) => readPsqlScript('db/init.sql', text, include);
const only = (text: string, include?: IncludeReader) => {
  const r = read(text, include);
  expect(r.parts).toHaveLength(1);
  return { text: r.parts[0]!.text, notes: r.notes };
};
const statements = (text: string) => {
  const parsed = parseSql(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.statements.map((s) => Object.keys(s.stmt)[0]);
};

describe('psql meta-commands', () => {
  it('blanks a meta-command line (its quote unbalanced too), keeping the lines, so the next statement parses', () => {
    const script = "\\set ON_ERROR_STOP on\n\\echo 'it''s\nCREATE TABLE t (id int);\n\\echo don't\nALTER TABLE t " +
      'ENABLE ROW LEVEL SECURITY;\n';
    const { text, notes } = only(script);
    expect(text.split('\n')).toHaveLength(script.split('\n').length);
    expect(Buffer.byteLength(text)).toBe(Buffer.byteLength(script));
    expect(text.split('\n')[2]).toBe('CREATE TABLE t (id int);');
    expect(statements(text)).toEqual(['CreateStmt', 'AlterTableStmt']);
    expect(notes).toEqual([]);
  });

  it('leaves a backslash inside a string, a dollar-quoted body or a comment alone', () => {
    const script = "SELECT E'\\\\n';\n-- see \\d t\nCREATE FUNCTION f() RETURNS text AS $$\n\\x\n$$ LANGUAGE sql;\n";
    expect(only(script).text).toBe(script);
  });

  it('ends the statement at \\gexec (as a `;` would) and says its rows run unread', () => {
    const { text, notes } = only("SELECT format('CREATE ROLE %I', 'app') \\gexec\nCREATE TABLE t (id int);\n");
    expect(statements(text)).toEqual(['SelectStmt', 'CreateStmt']);
    expect(notes).toEqual([
      expect.objectContaining({ line: 1, incomplete: true, message: expect.stringContaining('\\gexec') }),
    ]);
  });

  it('names the first lines of many \\gexec queries, not every one', () => {
    const { notes } = only("SELECT 'SELECT 1' \\gexec\n".repeat(10));
    expect(notes[0]!.message).toContain('10 queries end (line 1, 2, 3, 4, 5, 6, 7, 8 and 2 more) with');
  });

  it('notes a \\connect to another database', () => {
    const { notes } = only('\\connect tenants\nCREATE TABLE t (id int);\n');
    expect(notes).toEqual([expect.objectContaining({ line: 1, message: expect.stringContaining('database tenants') })]);
    expect(notes[0]!.incomplete).toBeUndefined();
  });

  it('reads only the \\if branch psql takes: :{?name} is whether the file set the variable', () => {
    const script = '\\if :{?role}\nCREATE TABLE a (id int);\n\\else\n\\set role app\nCREATE TABLE b (id int);\n' +
      '\\endif\nGRANT SELECT ON b TO :"role";\n';
    const { text } = only(script);
    expect(statements(text)).toEqual(['CreateStmt', 'GrantStmt']);
    expect(text).toContain('CREATE TABLE b');
    expect(text).not.toContain('CREATE TABLE a');
    expect(text).toContain('TO "app"');
  });
});

describe('psql variables', () => {
  it("substitutes :name, :'name' and :\"name\" from a \\set earlier in the file", () => {
    const script = "\\set schema app\n\\set owner 'o''brien'\nCREATE SCHEMA :schema;\n" +
      'SELECT set_config(\'app.owner\', :\'owner\', false);\nALTER SCHEMA :schema OWNER TO :"owner";\n';
    const { text, notes } = only(script);
    expect(text).toContain('CREATE SCHEMA app;');
    expect(text).toContain("set_config('app.owner', 'o''brien', false)");
    expect(text).toContain('OWNER TO "o\'brien"');
    expect(notes).toEqual([]);
  });

  it('reports a statement whose variable has no value in the file as not read, and blanks it', () => {
    const { text, notes } = only("CREATE TABLE t (id int);\nSELECT set_config('x', :'days', false);\n");
    expect(statements(text)).toEqual(['CreateStmt']);
    expect(notes).toEqual([
      {
        file: 'db/init.sql',
        line: 2,
        incomplete: true,
        message: expect.stringContaining('psql variable :days has no value in the file'),
      },
    ]);
  });

  it('leaves an array slice and a cast alone', () => {
    const script = 'SELECT (ARRAY[1,2,3])[1:2], now()::date;\n';
    expect(only(script)).toEqual({ text: script, notes: [] });
  });
});

describe('COPY … FROM stdin', () => {
  it("skips the data rows to the line `\\.` (a lone quote, \\N), then reads on, after a meta-command line too", () => {
    const script = "\\restrict k1\nCOPY t (a, b) FROM stdin;\nx\tit's\ny\t\\N\n\\.\nALTER TABLE t ENABLE ROW LEVEL " +
      'SECURITY;\n';
    const { text, notes } = only(script);
    expect(statements(text)).toEqual(['CopyStmt', 'AlterTableStmt']);
    expect(text.split('\n')[5]).toBe('ALTER TABLE t ENABLE ROW LEVEL SECURITY;');
    expect(notes).toEqual([]);
  });
});

describe('psql includes', () => {
  it('reads an included file at its line, in order, with the variables set before it', () => {
    const include: IncludeReader = (target, relative, from) =>
      target === 'gate.sql' && relative && from === 'db/init.sql'
        ? { path: 'db/gate.sql', text: 'ALTER TABLE t ENABLE ROW LEVEL SECURITY;\nGRANT SELECT ON t TO :"role";\n' }
        : { reason: 'no such file in the tree' };
    const r = read('\\set role app\nCREATE TABLE t (id int);\n\\ir gate.sql\nCREATE POLICY p ON t USING (true);\n', include);
    expect(r.parts.map((p) => [p.path, statements(p.text)])).toEqual([
      ['db/init.sql', ['CreateStmt']],
      ['db/gate.sql', ['AlterTableStmt', 'GrantStmt']],
      ['db/init.sql', ['CreatePolicyStmt']],
    ]);
    expect(r.parts[1]!.text).toContain('TO "app"');
    expect(r.parts[2]!.text.split('\n')[3]).toBe('CREATE POLICY p ON t USING (true);');
    expect(r.notes).toEqual([]);
  });

  it('says an include it cannot read was not read', () => {
    const r = read('\\i /etc/seed.sql\n', () => ({ reason: 'an absolute path, outside the audited tree' }));
    expect(r.notes).toEqual([
      expect.objectContaining({ line: 1, incomplete: true, message: expect.stringContaining('/etc/seed.sql') }),
    ]);
  });
});
