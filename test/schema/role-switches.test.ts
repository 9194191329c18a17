import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputCache } from '../../src/cache/inputs.js';
import { readDeploymentRoles } from '../../src/schema/deploy-roles.js';
import { writeProject } from '../support/project.js';

// Scope helpers that switch the role transaction-locally before they call their callback (schema/role-switches.ts),
// read from the sources with the deployment files: each shape below is one a corpus repository writes (role34).

function switchesOf(files: Record<string, string>) {
  return readDeploymentRoles(writeProject(files)).switches;
}

describe('the role switches of scope helpers', () => {
  it('reads SET LOCAL ROLE in a transaction callback of the helper that calls its own callback (darna)', () => {
    const { switches } = switchesOf({
      'src/with-org.ts': `
export async function withOrg(prisma, orgId, fn) {
  return prisma.$transaction(async (tx) => {
    await tx.$queryRawUnsafe("SELECT set_config('app.org_id', $1, true)", orgId);
    await tx.$executeRawUnsafe(\`SET LOCAL ROLE darna_app\`);
    const out = await fn(tx);
    await tx.$executeRawUnsafe('RESET ROLE');
    return out;
  });
}`,
    });
    expect(switches).toEqual([
      {
        helper: 'withOrg', file: 'src/with-org.ts', line: 2, role: 'darna_app', how: 'SET LOCAL ROLE', at: 5,
        settings: ['app.org_id'], attempted: false,
      },
    ]);
  });

  it("reads a tagged template, set_config('role', …, true), and a role an interpolation names (contaflow, agentview)", () => {
    const { switches } = switchesOf({
      'src/a.ts': `
export async function withCompany(id, tx, fn) {
  await tx.$executeRaw\`SET LOCAL ROLE authenticated\`;
  await tx.$executeRaw\`SELECT set_config('app.company', \${id}, true)\`;
  return fn(tx);
}
export const withAudit = async (id, client, fn) => {
  await client.query("SELECT set_config('role', 'auditor', true)");
  await client.query(\`SET LOCAL app.org = '\${id}'\`);
  return fn(client);
};
export async function withApp(db, fn) {
  return db.transaction(async (tx) => {
    await tx.execute(sql.raw(\`SET LOCAL ROLE "\${process.env.APP_USER}"\`));
    return fn(tx);
  });
}`,
    });
    expect(switches.map((s) => `${s.helper} ${s.role}${s.runTime ? ' (run time)' : ''} ${s.how} ${s.settings}`)).toEqual([
      'withCompany authenticated SET LOCAL ROLE app.company',
      "withAudit auditor set_config('role', …, true) app.org",
      'withApp process.env.APP_USER (run time) SET LOCAL ROLE ',
    ]);
  });

  it("reads a switch whose text another function of the file builds, run by the helper first (insight-desk)", () => {
    const { switches } = switchesOf({
      'src/with-tenant.ts': `
function buildSql(ctx) {
  const statements = [];
  statements.push("SET LOCAL ROLE app_user");
  statements.push(\`SET LOCAL app.current_org_id = '\${ctx.organizationId}'\`);
  return sql.raw(statements.join("; "));
}
export async function withTenant(ctx, callback) {
  return await baseDb.transaction(async (tx) => {
    await tx.execute(buildSql(ctx));
    return await callback(tx);
  });
}
export async function notAHelper(ctx, done) {
  done();
  await db.execute(buildSql(ctx));
}`,
    });
    expect(switches).toEqual([
      {
        helper: 'withTenant', file: 'src/with-tenant.ts', line: 8, role: 'app_user', how: 'SET LOCAL ROLE', at: 4,
        settings: ['app.current_org_id'], attempted: false,
      },
    ]);
  });

  it('leaves out a session-wide SET ROLE, a role from a bind parameter, comments, tests and no-helper functions', () => {
    const { switches } = switchesOf({
      'src/session.ts': `
export async function withReports(client, fn) {
  await client.query('SET ROLE app_user');
  return fn(client);
}`,
      'src/scope.ts': `
export async function withScope(client, role, fn) {
  await client.query("SELECT set_config('role', $1, true)", [role]);
  // await client.query('SET LOCAL ROLE commented_out');
  return fn(client);
}`,
      'src/__tests__/rls.test.ts': `
export async function asApp(client, fn) {
  await client.query('SET LOCAL ROLE app_user');
  return fn(client);
}`,
      'src/build.ts': `
export function statements() {
  const out = [];
  out.push('SET LOCAL ROLE app_user');
  return out.join('; ');
}`,
    });
    expect(switches).toEqual([]);
  });

  it('marks a switch only tried (a list of alternatives, a try whose failure it goes on past) as attempted', () => {
    const { switches } = switchesOf({
      'src/admin.ts': `
export async function withAdmin(db, callback) {
  return db.transaction(async (tx) => {
    const methods = [{ stmt: sql\`SET LOCAL role = 'postgres'\` }];
    for (const { stmt } of methods) {
      try { await tx.execute(stmt); break; } catch { /* next */ }
    }
    return callback(tx);
  });
}
export async function withTry(client, callback) {
  try { await client.query('SET LOCAL ROLE ops'); } catch { console.warn('no switch'); }
  return callback(client);
}
export async function withRethrow(client, callback) {
  try { await client.query('SET LOCAL ROLE app_user'); } catch (e) { throw e; }
  return callback(client);
}`,
    });
    expect(switches.map((s) => `${s.helper} ${s.role} ${s.attempted}`)).toEqual([
      'withAdmin postgres true',
      'withTry ops true',
      'withRethrow app_user false',
    ]);
  });

  it('lists the folders holding a package.json, the root as the empty folder', () => {
    const { packages } = switchesOf({ 'apps/api/package.json': '{}', 'apps/worker/package.json': '{}' });
    expect(packages).toEqual(['', 'apps/api', 'apps/worker']);
  });

  it('keeps each file\'s switches in the input cache: a warm run reads no source whose stat is unchanged', () => {
    const root = writeProject({
      'src/scope.ts': `
export async function withOrg(client, org, fn) {
  await client.query('SET LOCAL ROLE app_user');
  await client.query("SELECT set_config('app.org', $1, true)", [org]);
  return fn(client);
}`,
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-inputs-'));
    const run = () => {
      const read: string[] = [];
      const inputs = new InputCache(dir, root);
      const text = (abs: string) => {
        read.push(path.relative(root, abs));
        return fs.readFileSync(abs, 'utf8');
      };
      const { switches } = readDeploymentRoles(root, [], { inputs, text });
      inputs.save();
      return { read, helpers: switches.switches.map((s) => s.helper) };
    };
    expect(run()).toEqual({ read: ['src/scope.ts'], helpers: ['withOrg'] });
    expect(run()).toEqual({ read: [], helpers: ['withOrg'] });
  });
});
