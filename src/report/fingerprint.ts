import { createHash } from 'node:crypto';

// Fingerprints survive line moves: they hash what a finding is about (file, enclosing
// function, the code itself), plus an occurrence number among identical ones in the file.

export function fingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0001')).digest('hex').slice(0, 20);
}

export class FingerprintCounter {
  private readonly seen = new Map<string, number>();

  next(parts: readonly string[]): string {
    const key = parts.join('\u0001');
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    return fingerprint(n === 1 ? parts : [...parts, String(n)]);
  }
}

export function normalizeCode(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
