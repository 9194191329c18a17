// Postgres names: unquoted identifiers fold to lower case, quoted ones keep their case.
// Qualified names are "schema.name" with quotes stripped, as the report prints them.

export function qualify(schema: string | undefined, name: string, defaultSchema: string): string {
  return `${schema ?? defaultSchema}.${name}`;
}

export function rangeVarName(rv: { schemaname?: string; relname: string }, defaultSchema: string): string {
  return qualify(rv.schemaname, rv.relname, defaultSchema);
}

/** Parses a user-written name such as `AuditLogs`, `public.audit_logs` or `"App"."Mixed"`. */
export function normalizeQualifiedName(text: string, defaultSchema: string): string {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i < s.length) {
    if (s[i] === '"') {
      let j = i + 1;
      let part = '';
      while (j < s.length) {
        if (s[j] === '"' && s[j + 1] === '"') {
          part += '"';
          j += 2;
        } else if (s[j] === '"') break;
        else part += s[j++];
      }
      parts.push(part);
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.') j++;
      parts.push(s.slice(i, j).trim().toLowerCase());
      i = j;
    }
    if (s[i] === '.') i++;
  }
  const name = parts.pop() ?? '';
  return qualify(parts.pop(), name, defaultSchema);
}

/** A qualified name as SQL text, quoting the parts Postgres would otherwise fold or reject. */
export function sqlName(qualified: string): string {
  const dot = qualified.indexOf('.');
  const parts = dot < 0 ? [qualified] : [qualified.slice(0, dot), qualified.slice(dot + 1)];
  return parts.map((p) => (/^[a-z_][a-z0-9_$]*$/.test(p) ? p : `"${p.replace(/"/g, '""')}"`)).join('.');
}
