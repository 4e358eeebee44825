/**
 * How adapters say "this item yields no envelope": an ItemProblem thrown from
 * deep inside a mapper, caught per item by the normalizer (shared/normalize/)
 * and turned into a rejection value there. Only `invalid` and `unsupported`
 * are item problems; `unroutable` and `unparseable` are decided by the normalizer.
 */
import type { RejectionReason } from '../contracts/rejection';

export type ItemProblemReason = Extract<RejectionReason, 'invalid' | 'unsupported'>;

export class ItemProblem extends Error {
  override readonly name = 'ItemProblem';
  constructor(
    readonly reason: ItemProblemReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** `entry[0].messaging[2]` + `sender.id` → `entry[0].messaging[2].sender.id`. */
export function joinPath(base: string, field: string): string {
  if (!base) return field;
  if (!field) return base;
  return field.startsWith('[') ? base + field : `${base}.${field}`;
}

export function missing(base: string, field: string): ItemProblem {
  return new ItemProblem('invalid', `${joinPath(base, field)} is missing`);
}

export function malformed(base: string, field: string, expected: string): ItemProblem {
  return new ItemProblem('invalid', `${joinPath(base, field)} is not ${expected}`);
}

export function unsupported(kind: string, detail?: string): ItemProblem {
  return new ItemProblem('unsupported', `event kind ${kind} has no mapping${detail ? ` (${detail})` : ''}`);
}
