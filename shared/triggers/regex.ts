/**
 * Regex keywords run on V8's backtracking engine, so a pattern is accepted
 * only when its backtracking is provably bounded; anything else is refused
 * when the workflow is compiled (TriggerCompileError: the workflow is skipped
 * with a WARNING log naming the reason, other workflows are unaffected).
 *
 * The check is conservative (it refuses what it cannot bound):
 *   - no backreferences and no lookarounds (`\1`, `\k<n>`, `(?=`, `(?!`,
 *     `(?<=`, `(?<!`), nor other `(?` group syntax;
 *   - no repetition of something that itself has choices: a quantifier
 *     repeating more than once (`*`, `+`, `{2,}`, `{1,5}`) may not apply to a
 *     group holding a quantifier or an alternation (`(a+)+`, `(a|a)*`,
 *     `(\w+\s?)*`). With that, every choice point of the search is a single
 *     quantifier over an atom without choices, or an alternation;
 *   - the number of ways the search can choose is then at most the product
 *     of the choices (a quantifier `{min,max}` chooses among max - min + 1
 *     counts, an unbounded one among at most the input length; an alternation
 *     adds its branches), times the start positions tried (1 when the pattern
 *     starts with `^`). That estimate must stay within `REGEX_BUDGET`.
 *
 * The input is at most MAX_MATCHED_TEXT characters (text.ts), so one
 * unbounded quantifier (`\d+`, `.*`) is fine anywhere, `^…\d{4,}…` too, but
 * two unbounded quantifiers in an unanchored pattern (`.*a.*b`, n³ steps on
 * 4096 characters) are refused; anchored (`^.*a.*b`, n²) they are accepted.
 */
import { MAX_MATCHED_TEXT } from './text';

/** Upper bound on the estimated backtracking steps of one test: ~10^7.5, a few ms to tens of ms worst case. */
export const REGEX_BUDGET = 2 ** 26;

/** Why a pattern is refused, or undefined when it is safe to run. The pattern must already compile (flags `iu`). */
export function regexRisk(pattern: string): string | undefined {
  const n = MAX_MATCHED_TEXT + 1;
  let pos = 0;
  const peek = () => pattern[pos];
  /** Just past the next `c` (the end when there is none: the loop always moves forward). */
  const after = (c: string) => {
    const i = pattern.indexOf(c, pos);
    return i < 0 ? pattern.length : i + 1;
  };

  /** Paths of one alternation (sum of its branches' products); stops at `)` or the end. */
  const alternation = (): { paths: number; choice: boolean } => {
    let paths = 0;
    let choice = false;
    let branches = 0;
    for (;;) {
      const branch = sequence();
      paths += branch.paths;
      choice ||= branch.choice;
      branches++;
      if (peek() !== '|') break;
      pos++;
    }
    return { paths, choice: choice || branches > 1 };
  };

  const sequence = (): { paths: number; choice: boolean } => {
    let paths = 1;
    let choice = false;
    while (pos < pattern.length && peek() !== '|' && peek() !== ')') {
      const a = atom();
      const q = quantifier();
      if (q) {
        const repeats = q.max > 1;
        if (repeats && a.choice) throw new Refusal('a repeated group contains a quantifier or an alternation (nested repetition)');
        // An atom without choices: the quantifier is the only choice point.
        paths *= (repeats ? 1 : a.paths) * (Math.min(q.max, n) - Math.min(q.min, n) + 1);
        if (q.max > q.min) choice = true;
      } else paths *= a.paths;
      choice ||= a.choice;
      if (paths > REGEX_BUDGET) throw new Refusal('too many ways to match (several unbounded quantifiers or alternations)');
    }
    return { paths, choice };
  };

  const atom = (): { paths: number; choice: boolean } => {
    const c = pattern[pos++];
    if (c === '\\') {
      const e = pattern[pos++];
      if (e === undefined) return { paths: 1, choice: false };
      if (/[1-9]/.test(e) || e === 'k') throw new Refusal('backreferences are not allowed');
      if ((e === 'p' || e === 'P' || e === 'u') && peek() === '{') pos = after('}');
      return { paths: 1, choice: false };
    }
    if (c === '[') {
      while (pos < pattern.length && peek() !== ']') pos += peek() === '\\' ? 2 : 1;
      pos++;
      return { paths: 1, choice: false };
    }
    if (c === '(') {
      if (peek() === '?') {
        const kind = pattern.slice(pos, pos + 3);
        if (kind.startsWith('?:')) pos += 2;
        else if (kind.startsWith('?<') && kind !== '?<=' && kind !== '?<!') pos = after('>');
        else throw new Refusal('lookarounds and other (? groups are not allowed');
      }
      const inner = alternation();
      pos++; // ')'
      return inner;
    }
    return { paths: 1, choice: false };
  };

  const quantifier = (): { min: number; max: number } | undefined => {
    let q: { min: number; max: number } | undefined;
    const c = peek();
    if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '?') q = { min: 0, max: 1 };
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(pos));
      if (!m) return undefined;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      pos += m[0].length - 1;
      q = { min, max };
    }
    if (!q) return undefined;
    pos++;
    if (peek() === '?') pos++; // lazy: same choices, other order
    return q;
  };

  try {
    const anchored = pattern.startsWith('^');
    const { paths } = alternation();
    if (pos < pattern.length) return 'unbalanced pattern';
    // An alternation at the top makes `^` bind its first branch only: count every start then.
    const starts = anchored && !hasTopLevelBar(pattern) ? 1 : n;
    if (paths * starts > REGEX_BUDGET) return 'too many ways to match (several unbounded quantifiers or alternations)';
    return undefined;
  } catch (err) {
    if (err instanceof Refusal) return err.message;
    throw err;
  }
}

class Refusal extends Error {}

function hasTopLevelBar(pattern: string): boolean {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[') {
      while (i + 1 < pattern.length && pattern[i + 1] !== ']') i += pattern[i + 1] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}
