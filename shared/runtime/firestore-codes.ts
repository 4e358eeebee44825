/**
 * Firestore errors we act on, by their gRPC code. Creating a document that
 * another writer created first fails with ALREADY_EXISTS: "create if absent"
 * (a redelivery, two requests at once) then reads the winner instead.
 */
const ALREADY_EXISTS = 6;

export function isAlreadyExists(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === ALREADY_EXISTS;
}
