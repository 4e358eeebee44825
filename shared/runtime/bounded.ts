/**
 * Bounded views of untrusted values, for rejections: a depth test that never
 * recurses, JSON that stops at a depth and a size, and text cut at a byte
 * count that says it was cut. A 10,000-deep array in a validly signed body
 * must become a rejection like any other, not a stack overflow on every
 * delivery (JSON.stringify and String() recurse).
 */

/** Whether `value` nests more than `limit` arrays/objects deep; iterative, stops at the first path past the limit. */
export function deeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (depth > limit) return true;
    const children = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes; a cut one ends with a note of the full size. */
export function quote(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const size = Buffer.byteLength(text, 'utf8');
  if (size <= maxBytes) return { text, truncated: false };
  const note = ` … [truncated: ${size} bytes, ${maxBytes} kept]`;
  // Cutting bytes may split a multi-byte character: drop the stray tail.
  const kept = Buffer.from(text, 'utf8')
    .subarray(0, Math.max(0, maxBytes - Buffer.byteLength(note)))
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return { text: `${kept}${note}`, truncated: true };
}

/**
 * JSON of `value` no deeper than `maxDepth` (deeper values become the string
 * "…") and no longer than `maxBytes` (then cut, and said so). Recursion is
 * bounded by `maxDepth`, output by `maxBytes`: deterministic, never throws.
 */
export function boundedJson(value: unknown, maxDepth: number, maxBytes: number): { text: string; truncated: boolean } {
  const parts: string[] = [];
  let length = 0;
  let cut = false;
  const put = (s: string): boolean => {
    if (length > maxBytes) return false;
    parts.push(s);
    length += s.length;
    return true;
  };
  const write = (v: unknown, depth: number): void => {
    if (length > maxBytes) return;
    if (typeof v !== 'object' || v === null) {
      put(JSON.stringify(v) ?? 'null');
      return;
    }
    if (depth >= maxDepth) {
      cut = true;
      put('"…"');
      return;
    }
    if (Array.isArray(v)) {
      put('[');
      v.forEach((item, i) => {
        if (i) put(',');
        write(item, depth + 1);
      });
      put(']');
      return;
    }
    put('{');
    let first = true;
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
      if (item === undefined) continue;
      if (!first) put(',');
      first = false;
      put(`${JSON.stringify(k)}:`);
      write(item, depth + 1);
    }
    put('}');
  };
  write(value, 0);
  const q = quote(parts.join(''), maxBytes);
  return { text: q.text, truncated: cut || q.truncated };
}
