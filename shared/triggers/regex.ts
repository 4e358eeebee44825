/**
 * Regex keywords run on RE2 (the `re2js` package, a pure-JS port of RE2), not
 * on V8's backtracking engine: RE2 matches in time linear in the text by
 * construction (automata, no backtracking), so no pattern can hang the
 * function, whatever its shape (`(a+)+$`, `\w+@\w+`, `.*a.*b` are all fine).
 *
 * Patterns are written in JavaScript syntax, with the flags `iu`, as before:
 *   1. the pattern must be a valid JavaScript regex (`new RegExp(p, 'iu')`),
 *      else it is invalid;
 *   2. what needs backtracking, hence what RE2 cannot express, is refused:
 *      backreferences (`\1`, `\k<name>`) and lookarounds (`(?=`, `(?!`,
 *      `(?<=`, `(?<!`);
 *   3. the pattern is translated to RE2 syntax (`\u{…}` and `\uXXXX` escapes,
 *      named groups, `[^]`, `\cX`) and compiled case-insensitively; what RE2
 *      still rejects (e.g. `\p{Letter}`: RE2 knows `\p{L}`, or a repetition
 *      count over 1000) is refused with RE2's reason.
 *
 * The text matched is the normalized one (text.ts: lowercased, spaces
 * collapsed, at most MAX_MATCHED_TEXT characters), where RE2's ASCII `\s`
 * and `.` (which stops at `\n`) mean what they mean in JavaScript. RE2 works
 * on code points, like the `u` flag.
 */
import { RE2JS, RE2JSException } from 're2js';

export type CompiledRegex = { ok: true; test: (text: string) => boolean } | { ok: false; kind: 'invalid' | 'unsupported'; reason: string };

/** What RE2 cannot express (it would need backtracking), by a scan of a pattern that is valid JavaScript. */
function unsupportedFeature(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const e = pattern[i + 1] ?? '';
      if (/[1-9]/.test(e) || e === 'k') return 'backreferences (\\1, \\k<name>)';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') inClass = true;
    else if (c === '(' && /^\(\?(=|!|<=|<!)/.test(pattern.slice(i, i + 4))) return 'lookaheads and lookbehinds ((?=, (?!, (?<=, (?<!)';
  }
  return undefined;
}

/** Compiles a regex keyword for RE2, case-insensitive; never throws. */
export function compileRegex(pattern: string): CompiledRegex {
  try {
    new RegExp(pattern, 'iu');
  } catch (err) {
    return { ok: false, kind: 'invalid', reason: (err as Error).message };
  }
  const feature = unsupportedFeature(pattern);
  if (feature) return { ok: false, kind: 'unsupported', reason: feature };
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern), RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    if (!(err instanceof RE2JSException)) throw err;
    return { ok: false, kind: 'unsupported', reason: err.message.replace(/^error parsing regexp: /, '') };
  }
  return { ok: true, test: (text) => re.test(text) };
}
