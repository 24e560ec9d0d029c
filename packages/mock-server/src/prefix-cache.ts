/**
 * A prompt prefix cache at message granularity: each request registers the hash of every prefix of
 * its messages (messages 0..i); a later request's longest registered prefix counts as cached. Real
 * servers cache by token blocks; whole messages are coarser but show the same effect for the usual
 * agent pattern (same system prompt and history, one new message at the end).
 */
export class PrefixCache {
  readonly #expiresAt = new Map<number, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /**
   * Prompt tokens covered by the longest cached prefix of `prefixHashes` at time `now`.
   * @param prefixTokens tokens up to and including each message.
   */
  lookup(prefixHashes: readonly number[], prefixTokens: readonly number[], now: number): number {
    for (let i = prefixHashes.length - 1; i >= 0; i--) {
      const hash = prefixHashes[i] as number;
      const expiresAt = this.#expiresAt.get(hash);
      if (expiresAt === undefined) continue;
      if (expiresAt > now) return prefixTokens[i] ?? 0;
      this.#expiresAt.delete(hash);
    }
    return 0;
  }

  /** Registers every prefix of a request as cached until `now + ttlMs`. */
  remember(prefixHashes: readonly number[], now: number, ttlMs: number): void {
    for (const hash of prefixHashes) {
      // Delete first so the Map's insertion order stays least-recently-used first.
      this.#expiresAt.delete(hash);
      this.#expiresAt.set(hash, now + ttlMs);
    }
    while (this.#expiresAt.size > this.#maxEntries) {
      const oldest = this.#expiresAt.keys().next().value;
      if (oldest === undefined) break;
      this.#expiresAt.delete(oldest);
    }
  }

  clear(): void {
    this.#expiresAt.clear();
  }
}
