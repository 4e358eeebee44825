/** Header access for Node's IncomingHttpHeaders (lower-cased names; repeated headers arrive as arrays). */
export type Headers = Record<string, string | string[] | undefined>;

/** The single value of a header; undefined when absent or sent more than once (ambiguous, so unusable for auth). */
export function singleHeader(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}
