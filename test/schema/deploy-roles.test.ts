import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellSqlTexts, UNKNOWN_NAME } from '../../src/schema/shell-sql.js';
import { readDeploymentRoles, roleDeclarations } from '../../src/schema/deploy-roles.js';

// The SQL a shell script hands psql, read as the shell reads its words, and the role attributes libpg-query finds in
// it; the values deployment files give environment variables, each with its file and line.

describe('shellSqlTexts', () => {
  it('expands an unquoted here-document with the parameters the script assigns, defaults included', () => {
    const script = [
      'U="${U:-ops_admin}"',
      'psql -v ON_ERROR_STOP=1 <<SQL',
      'DO \\$\\$ BEGIN NULL; END \\$\\$;',
      'CREATE ROLE ${U} LOGIN BYPASSRLS;',
      'SQL',
    ].join('\n');
    expect(shellSqlTexts(script)).toEqual([
      { sql: 'DO $$ BEGIN NULL; END $$;\nCREATE ROLE ops_admin LOGIN BYPASSRLS;', line: 3 },
    ]);
  });

  it('keeps a quoted here-document as written and reads `-c` / `--command=` words', () => {
    const script = "psql \"$URL\" <<'EOF'\nCREATE ROLE ${X};\nEOF\npsql -c \"ALTER ROLE \\\"a\\\" BYPASSRLS\" --command='SELECT 1'";
    expect(shellSqlTexts(script, 10)).toEqual([
      { sql: 'CREATE ROLE ${X};', line: 11 },
      { sql: 'ALTER ROLE "a" BYPASSRLS', line: 13 },
      { sql: 'SELECT 1', line: 13 },
    ]);
  });

  it('leaves a parameter the script never assigns unknown, so it names no role', () => {
    expect(shellSqlTexts('psql -c "CREATE ROLE $WHO BYPASSRLS"')[0]!.sql).toBe(`CREATE ROLE ${UNKNOWN_NAME} BYPASSRLS`);
  });

  it('reads no SQL from a line that does not run psql', () => {
    expect(shellSqlTexts('echo "CREATE ROLE x BYPASSRLS" -c y\ncat <<SQL\nCREATE ROLE y;\nSQL')).toEqual([]);
  });
});

describe('roleDeclarations', () => {
  it('gives each BYPASSRLS / SUPERUSER attribute with its word and line, skipping the others', () => {
    const sql = 'CREATE ROLE app LOGIN;\n\n-- admin\nALTER ROLE ops BYPASSRLS NOSUPERUSER;\nCREATE USER root SUPERUSER;';
    expect(roleDeclarations(sql, 'init.sql', 1)).toEqual([
      { role: 'ops', bypasses: true, attribute: 'BYPASSRLS', file: 'init.sql', line: 4 },
      { role: 'ops', bypasses: false, attribute: 'NOSUPERUSER', file: 'init.sql', line: 4 },
      { role: 'root', bypasses: true, attribute: 'SUPERUSER', file: 'init.sql', line: 5 },
    ]);
  });

  it('reads the statements that parse when another does not (a psql meta-command)', () => {
    expect(roleDeclarations('\\set x 1\n;ALTER ROLE ops BYPASSRLS;', 'a.sql', 1).map((d) => d.role)).toEqual(['ops']);
  });
});

describe('readDeploymentRoles', () => {
  it('reads env files, compose environment (map and list) and workflow env, each value with its line', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-roles-'));
    fs.writeFileSync(path.join(root, '.env.example'), '# c\nexport A_URL="postgres://a:x@h/d"\nB=1 # note\n');
    fs.writeFileSync(
      path.join(root, 'docker-compose.yml'),
      'services:\n  app:\n    environment:\n      A_URL: postgres://b:x@h/d\n  w:\n    environment:\n      - C=3\n',
    );
    fs.mkdirSync(path.join(root, '.github/workflows'), { recursive: true });
    fs.writeFileSync(
      path.join(root, '.github/workflows/ci.yml'),
      'jobs:\n  t:\n    env:\n      A_URL: ${{ secrets.A }}\n    steps:\n      - run: psql -c "ALTER ROLE a BYPASSRLS"\n',
    );
    const read = readDeploymentRoles(root);
    expect(read.env).toEqual({
      A_URL: [
        { value: 'postgres://a:x@h/d', file: '.env.example', line: 2 },
        { value: '${{ secrets.A }}', file: '.github/workflows/ci.yml', line: 4 },
        { value: 'postgres://b:x@h/d', file: 'docker-compose.yml', line: 4 },
      ],
      B: [{ value: '1', file: '.env.example', line: 3 }],
      C: [{ value: '3', file: 'docker-compose.yml', line: 7 }],
    });
    expect(read.roles).toEqual({
      a: [{ role: 'a', bypasses: true, attribute: 'BYPASSRLS', file: '.github/workflows/ci.yml', line: 6 }],
    });
  });
});
