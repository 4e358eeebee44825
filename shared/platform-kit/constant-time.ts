/**
 * Constant-time comparison of secrets and signatures. Both sides are hashed
 * first so that timingSafeEqual always sees two equal-length buffers: the time
 * taken reveals neither the expected value's length nor how many leading bytes
 * matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Index of the candidate equal to `value`, or -1. Every candidate is compared (no early exit). */
export function constantTimeIndexOf(value: string | Buffer, candidates: ReadonlyArray<string | Buffer>): number {
  let found = -1;
  candidates.forEach((candidate, i) => {
    if (constantTimeEqual(value, candidate) && found === -1) found = i;
  });
  return found;
}
