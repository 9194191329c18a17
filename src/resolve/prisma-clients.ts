import path from 'node:path';
import { prismaGeneratorOutputs } from './prisma-discover.js';
import { projectRootOf } from './workspaces.js';

// A Prisma client generated to a custom `output` (`generator client { output = "../generated/client" }`)
// is imported by path, not as @prisma/client, and is usually absent from a checkout (it is
// generated). An import whose target lies in a generator's output folder is read as
// @prisma/client; its models come from the schemas discovered beside it.

const PRISMA_CLIENT = '@prisma/client';

/**
 * @prisma/client when the specifier names a generated client: a relative path into a
 * generator's output, or any other specifier (a tsconfig path alias) that `resolve` maps
 * there. The resolver sees generated clients as present (fs-host.ts), so aliases resolve.
 */
export function prismaClientModule(
  fromFile: string,
  specifier: string,
  resolve?: (fromFile: string, specifier: string) => string | undefined,
): string | undefined {
  const outputs = prismaGeneratorOutputs(projectRootOf(path.dirname(fromFile)));
  if (outputs.length === 0) return undefined;
  const resolved = specifier.startsWith('.')
    ? path.resolve(path.dirname(fromFile), specifier)
    : resolve?.(fromFile, specifier);
  if (!resolved) return undefined;
  const target = resolved.replace(/(\/index)?(\.d)?\.[cm]?[jt]sx?$/, '');
  return outputs.some((out) => target === out || target.startsWith(out + path.sep)) ? PRISMA_CLIENT : undefined;
}
