import path from 'node:path';
import { scanDockerfile } from './dockerfile.js';
import { scanDotenv } from './dotenv.js';
import type { DeployFormat, DeployScan } from './types.js';
import { scanJson } from './json.js';
import { scanYaml, springEnvName } from './yaml.js';

// Which files are deployment files, and the scanner for each format.

/** JSON files that are tooling, not deployment configuration. */
const TOOLING_JSON = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'composer.json',
  'composer.lock',
  'bun.lock',
  'deno.json',
  'deno.lock',
  '.eslintrc.json',
  'rls-guard.config.json',
]);

export function deployFormat(file: string): DeployFormat | undefined {
  const base = path.basename(file);
  const lower = base.toLowerCase();
  // Spring Boot configs: properties that Spring also binds from environment variables.
  if (/^(application|bootstrap)([-.][\w.-]*)?\.(ya?ml|properties)$/.test(lower))
    return lower.endsWith('.properties') ? 'spring-properties' : 'spring-yaml';
  if (lower === '.env' || lower.startsWith('.env.') || lower === '.envrc' || lower.endsWith('.env')) return 'dotenv';
  if (
    lower === 'dockerfile' ||
    lower === 'containerfile' ||
    lower.startsWith('dockerfile.') ||
    lower.endsWith('.dockerfile') ||
    lower.endsWith('.containerfile')
  )
    return 'dockerfile';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (
    lower.endsWith('.json') &&
    !TOOLING_JSON.has(lower) &&
    !/^[jt]sconfig(\..*)?\.json$/.test(lower) &&
    !lower.endsWith('.schema.json')
  )
    return 'json';
  return undefined;
}

export function scanDeployText(format: DeployFormat, text: string): DeployScan {
  switch (format) {
    case 'dotenv':
      return scanDotenv(text);
    case 'dockerfile':
      return scanDockerfile(text);
    case 'yaml':
      return scanYaml(text);
    case 'json':
      // The JSON reader gives the YAML reading's scan for less (json.ts); it hands over what it does not read.
      return scanJson(text);
    case 'spring-yaml':
      return scanYaml(text, { spring: true });
    case 'spring-properties': {
      const scan = scanDotenv(text);
      return { ...scan, vars: scan.vars.map((v) => ({ ...v, name: springEnvName(v.name), written: v.name })) };
    }
  }
}
