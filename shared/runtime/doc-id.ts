/**
 * Whether a string can be a Firestore document id as it is. Ids built from
 * what callers send (payload account ids, ids in URLs, ids from other teams)
 * are checked with this before they become document paths: a `/` would make
 * the path point elsewhere and the read throw.
 */
export function isDocumentId(id: string): boolean {
  // Firestore's rules: not `.` or `..`, no `/`, not `__…__`, at most 1500 bytes.
  return id.length > 0 && !id.includes('/') && id !== '.' && id !== '..' && !/^__.*__$/.test(id) && Buffer.byteLength(id) <= 1500;
}
