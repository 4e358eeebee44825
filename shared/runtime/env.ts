/**
 * Numbers from the environment, validated once at load: a function with a
 * malformed setting fails its cold start loudly, naming the variable, instead
 * of running with a surprising value (or keeping events for zero days).
 */
export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

export interface NumberRule {
  /** Whole numbers only. */
  integer?: boolean;
  min?: number;
  max?: number;
}

/** `env[name]` as a number within `rule`; `fallback` when unset or blank. */
export function envNumber(env: Env, name: string, fallback: number, rule: NumberRule = {}): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  const ok =
    Number.isFinite(value) &&
    (!rule.integer || Number.isSafeInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const range = [rule.min !== undefined ? `>= ${rule.min}` : '', rule.max !== undefined ? `<= ${rule.max}` : '']
      .filter(Boolean)
      .join(' and ');
    throw new ConfigError(name, `${name} must be ${kind}${range ? ' ' + range : ''}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
