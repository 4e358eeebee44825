/** The messaging platforms we take webhooks from. Adding one starts here. */
export const PLATFORMS = ['instagram', 'messenger', 'whatsapp', 'line', 'telegram'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Envelopes that no platform webhook carried (published by other Convotic services) use this source. */
export const INTERNAL_SOURCE = 'convotic' as const;

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}
