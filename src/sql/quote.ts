import { scanSync } from './libpg.js';

// Identifiers in SQL that rls-guard suggests (a fix to paste), quoted as Postgres's own
// quote_ident does: only when folding to lower case or a keyword would change the name.

/** `projects` stays; `LedgerEntries`, `user`, `my-table` become `"LedgerEntries"`, `"user"`, `"my-table"`. */
export function quoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !isKeyword(name)) return name;
  return `"${name.replace(/"/g, '""')}"`;
}

/** A report name ("schema.table", quotes stripped) as SQL: `"Billing"."LedgerEntries"`. */
export function quoteQualified(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? quoteIdent(name) : `${quoteIdent(name.slice(0, dot))}.${quoteIdent(name.slice(dot + 1))}`;
}

/** Keywords other than unreserved ones cannot stand as a bare table or schema name. */
function isKeyword(word: string): boolean {
  // Every table and schema name of the model is quoted for each report: the scanner asked once per word.
  let keyword = keywords.get(word);
  if (keyword === undefined) {
    try {
      const token = (scanSync(word) as { tokens: { keywordKind?: number }[] }).tokens[0];
      keyword = (token?.keywordKind ?? 0) > 1;
    } catch {
      keyword = true;
    }
    if (keywords.size > 10_000) keywords.clear();
    keywords.set(word, keyword);
  }
  return keyword;
}

const keywords = new Map<string, boolean>();
