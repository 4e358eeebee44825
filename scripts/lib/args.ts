/**
 * The one command-line parser of every script (`npm start`, `npm run send`,
 * `npm run normalize`): node:util parseArgs in strict mode, so every script
 * accepts `--name value` and `--name=value` alike, refuses unknown options, and
 * words its errors the same way. A script declares its options once:
 *
 *   const { values, positionals } = parseCli(argv, { id: { type: 'string' }, list: { type: 'boolean' } });
 *
 * Errors are UsageError (the caller prints them and exits 2); `-h/--help` is
 * an ordinary boolean option the caller declares and checks.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpec = { type: 'string'; short?: string; multiple?: boolean } | { type: 'boolean'; short?: string };
export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' } ? boolean : S extends { multiple: true } ? string[] : string;
export type ParsedValues<T extends OptionSpecs> = { [K in keyof T]?: ValueOf<T[K]> };

export interface ParsedCli<T extends OptionSpecs> {
  values: ParsedValues<T>;
  positionals: string[];
}

/** `--help` and `-h`, which every script has. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies OptionSpecs;

/** Node's messages name its own API ("To specify a positional argument..."); ours name the option only. */
function reword(err: unknown, argv: readonly string[]): UsageError {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const quoted = /'(-[^']*)'/.exec(message)?.[1];
  const flag = quoted?.split(' ')[0];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${flag ?? message}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = flag ?? '';
      // A boolean given a value (--dist=x), or a string option without one (last, or followed by another option).
      if (/does not take an argument/.test(message)) return new UsageError(`${name} takes no value`);
      return new UsageError(`${name} needs a value`);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument ${argv.find((a) => !a.startsWith('-')) ?? ''}`.trim());
    default:
      return new UsageError(message);
  }
}

export function parseCli<T extends OptionSpecs>(argv: readonly string[], options: T, config: { positionals?: boolean } = {}): ParsedCli<T> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: options as ParseArgsConfig['options'],
      strict: true,
      allowPositionals: config.positionals ?? true,
    }) as { values: Record<string, unknown>; positionals: string[] };
  } catch (err) {
    throw reword(err, argv);
  }
  // A string option whose value looks like an option (`--id --list`) is node's "ambiguous" error above;
  // an empty value (`--id=`) is caught here.
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type === 'string' && parsed.values[name] === '') throw new UsageError(`--${name} needs a value`);
  }
  return { values: parsed.values as ParsedValues<T>, positionals: parsed.positionals };
}

/** A whole-number option value of at least `min` (digits only: no sign, fraction or exponent), or undefined when absent. */
export function wholeNumber(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a whole number' : min === 1 ? 'a positive whole number' : `a whole number of at least ${min}`;
    throw new UsageError(`--${name} must be ${what}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A positive integer option value (a timeout, a port), or undefined when absent. */
export const positiveInt = (name: string, raw: string | undefined) => wholeNumber(name, raw, 1);

/** A count or an age that may be 0 (`--min-age 0`), or undefined when absent. */
export const nonNegativeInt = (name: string, raw: string | undefined) => wholeNumber(name, raw, 0);

/** A comma-separated list (`--only a,b`), trimmed, empty items dropped. */
export function commaList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
