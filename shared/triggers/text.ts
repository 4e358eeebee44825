/**
 * Text normalization for keyword matching: case- and accent-insensitive, so
 * "Olá", "OLA" and "ola" match the same keyword. NFD splits an accented
 * letter into the letter and its combining marks, which are then dropped.
 */
const MARKS = /\p{M}+/gu;
const SPACES = /\s+/gu;

/**
 * Only so much of a message is compared: bounds the cost of contains / regex on
 * huge texts. Cut before normalizing (bounded work) and after (NFD can expand).
 */
export const MAX_MATCHED_TEXT = 4096;

export function normalizeText(text: string): string {
  return text
    .slice(0, MAX_MATCHED_TEXT)
    .normalize('NFD')
    .replace(MARKS, '')
    .toLowerCase()
    .replace(SPACES, ' ')
    .trim()
    .slice(0, MAX_MATCHED_TEXT);
}
