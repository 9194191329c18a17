#!/usr/bin/env node
import path from 'node:path';
import { type Cli, loadBundledCli } from './cli-bundle.js';

// The `rls-guard` command: the CLI (src/cli.ts) from its bundle when one was built from the
// code now in dist/ (src/cli-bundle.ts), else imported as modules (a plain `tsc` build, or
// run from source).

const argv = process.argv.slice(2);
const bundle = path.join(path.dirname(import.meta.dirname), 'bundle', 'cli.cjs');
const bundled = import.meta.url.endsWith('.js') ? await loadBundledCli(bundle, argv) : undefined;
const cli: Cli = bundled ?? ((await import('./cli.js')) as Cli);
process.exitCode = cli.main(argv);
