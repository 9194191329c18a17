import { github } from './github.js';
import { html } from './html.js';
import { gitlab } from './gitlab.js';
import { json } from './json.js';
import { markdown } from './markdown.js';
import { sarif } from './sarif.js';
import { text } from './text.js';
import type { Formatter } from './types.js';

export type { Formatter, FormatterOptions } from './types.js';

/** Formatters by name; the CLI's --format picks one or several. */
export const formatters: Readonly<Record<string, Formatter>> = { text, json, sarif, github, gitlab, markdown, html };
