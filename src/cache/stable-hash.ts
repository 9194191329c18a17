import crypto from 'node:crypto';

// A content hash of plain data that may hold Maps and Sets (the RLS model does), so an index
// built against one model is never read back against another.

export function stableHash(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Map) return { '<map>': [...v.entries()] };
    if (v instanceof Set) return { '<set>': [...v.values()] };
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
  return crypto.createHash('sha256').update(json ?? 'undefined').digest('hex').slice(0, 32);
}
