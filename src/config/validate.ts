import type * as AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { lazyRequire } from '../lazy-require.js';
import { CONFIG_SCHEMA } from './schema.js';
import type { RlsGuardConfig } from './types.js';

const ajv = lazyRequire<typeof AjvModule>('ajv');

// Validates a configuration against the published schema and turns the first error into
// one sentence that names the path to the bad key, e.g. `scopeHelpers[0].callbackArg must
// be an integer`.

export class ConfigError extends Error {}

let compiled: ValidateFunction | undefined;

export function validateConfig(raw: unknown, file: string): RlsGuardConfig {
  const { Ajv } = ajv();
  compiled ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }).compile(CONFIG_SCHEMA);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`${file}: the configuration must be an object`);
  if (compiled(raw)) return raw as RlsGuardConfig;
  throw new ConfigError(`${file}: ${describe(pickError(compiled.errors ?? []))}`);
}

/** The most specific error: the deepest path, and a real constraint over "matches no branch". */
function pickError(errors: ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject): number =>
    e.instancePath.split('/').length + (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 1 : 0);
  const branchy = (e: ErrorObject): boolean => e.keyword === 'oneOf' || e.keyword === 'anyOf';
  // Inside a oneOf of "a name or an object", a value that is an object failed the object branch.
  const relevant = errors.filter(
    (e) => !(e.keyword === 'type' && e.params.type === 'string' && e.schemaPath.includes('/oneOf/0/')),
  );
  return [...(relevant.length ? relevant : errors)].sort(
    (a, b) => Number(branchy(a)) - Number(branchy(b)) || depth(b) - depth(a),
  )[0]!;
}

function describe(e: ErrorObject): string {
  const at = pathOf(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).filter(
        (k) => k !== '$schema',
      );
      return `${at ? `${at}.` : ''}"${key}" is not a known option (known: ${known.join(', ')})`;
    }
    case 'required':
      return `${at} must have "${String(e.params.missingProperty)}"`;
    case 'type':
      return `${at} must be ${article(String(e.params.type))}`;
    case 'oneOf':
      return `${at} must be a name or { "name": …, "from"?: … }`;
    case 'minLength':
      return `${at} must not be empty`;
    case 'enum':
      return `${at} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minimum':
      return `${at} must be at least ${String(e.params.limit)}`;
    default:
      return `${at || 'the configuration'} ${e.message ?? 'is invalid'}`;
  }
}

function pathOf(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out ? `${out}.${p}` : p), '');
}

function article(type: string): string {
  return type === 'array' || type === 'object' || type === 'integer' ? `an ${type}` : `a ${type}`;
}
