import path from 'node:path';
import { prismaGeneratorOutputs } from '../adapters/prisma-discover.js';
import { projectRootOf } from './workspaces.js';

// A Prisma client generated to a custom `output` (`generator client { output = "../generated/client" }`)
// is imported by path, not as @prisma/client, and is usually absent from a checkout (it is
// generated). An import whose target lies in a generator's output folder is read as
// @prisma/client; its models come from the schemas discovered beside it.

const PRISMA_CLIENT = '@prisma/client';

export function prismaClientModule(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const outputs = prismaGeneratorOutputs(projectRootOf(path.dirname(fromFile)));
  if (outputs.length === 0) return undefined;
  const target = path.resolve(path.dirname(fromFile), specifier).replace(/(\/index)?\.[cm]?[jt]s$/, '');
  return outputs.some((out) => target === out || target.startsWith(out + path.sep)) ? PRISMA_CLIENT : undefined;
}
