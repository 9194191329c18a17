import { json } from './json.js';
import { text } from './text.js';
import type { Formatter } from './types.js';

export type { Formatter, FormatterOptions } from './types.js';

/** Formatters by name; the CLI's --format picks one. */
export const formatters: Readonly<Record<string, Formatter>> = { text, json };
