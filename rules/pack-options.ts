import type { JSONSchema4 } from '@typescript-eslint/utils/json-schema';

// The option the three pack rules share: names (API, variable or header) a project keeps on
// purpose. The packs' texts share two tails: where the entry comes from, and what changed.

export interface PackRuleOptions {
  /** Names (API, variable or header) this project keeps on purpose; never reported. */
  allow?: string[];
}

export const PACK_OPTIONS_SCHEMA: JSONSchema4[] = [
  {
    type: 'object',
    additionalProperties: false,
    properties: {
      allow: { type: 'array', items: { type: 'string' }, description: 'Names this project keeps on purpose' },
    },
  },
];

/** Where a pack entry comes from: ` (pack <id>; <source>)`. */
export const FROM_PACK = ' (pack {{pack}}; {{source}})';
