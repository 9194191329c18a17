import type { Location } from './types.js';

// What every pass (the analysis core, the schema findings, the pack scans, the incomplete
// inputs) reports: a fact naming its rule, the rule's message id and the values the message
// interpolates. The words live in the rule (`rules/<id>.ts`); the front ends render them.

/** An edit of the file's text, by offsets. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export interface RuleFinding extends Location {
  ruleId: string;
  messageId: string;
  /** The values the message's `{{name}}` placeholders take. */
  data: Record<string, string>;
  /** Stable identity: a hash of the code and its enclosing function, never of line numbers. */
  fingerprint: string;
  /** The fingerprint of the write site the finding is about: the site is suppressed when the finding is. */
  site?: string;
  /** A safe rewrite (ESLint's --fix). */
  fix?: TextEdit;
  /** Rewrites the user chooses between, each with its own message. */
  suggestions?: { messageId: string; data: Record<string, string>; edit: TextEdit }[];
}

/** A finding an inline suppression silenced, with the suppression's reason. */
export type SuppressedFinding = RuleFinding & { suppressed: { reason: string } };
