/**
 * Single-flight for refresh-token rotation, per isolate. Five tabs waking up at once send the
 * same refresh cookie; without this, each would rotate it, writing the old token's KV key five
 * times in one second (KV allows one write per key per second) and creating five branches.
 * With it, requests in this isolate that present the same token within the grace period share
 * one rotation and get the same successor. Bounded; failures are never kept.
 */
export interface RotationCache<T> {
  /** The rotation already under way or done for `tokenHash` within `maxAgeMs`, if any. */
  get(tokenHash: string, now: number, maxAgeMs: number): Promise<T> | undefined;
  set(tokenHash: string, now: number, result: Promise<T>): void;
}

/** Most rotations remembered at once; the oldest is dropped first. */
export const MAX_REMEMBERED_ROTATIONS = 1024;

export function createRotationCache<T>(capacity = MAX_REMEMBERED_ROTATIONS): RotationCache<T> {
  const entries = new Map<string, { at: number; result: Promise<T> }>();
  return {
    get(tokenHash, now, maxAgeMs) {
      const entry = entries.get(tokenHash);
      if (!entry) return undefined;
      if (now - entry.at > maxAgeMs) {
        entries.delete(tokenHash);
        return undefined;
      }
      return entry.result;
    },
    set(tokenHash, now, result) {
      if (entries.size >= capacity) entries.delete(entries.keys().next().value!);
      entries.set(tokenHash, { at: now, result });
      result.catch(() => {
        if (entries.get(tokenHash)?.result === result) entries.delete(tokenHash);
      });
    },
  };
}
