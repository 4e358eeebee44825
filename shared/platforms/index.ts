/**
 * The messaging platforms we take webhooks from, by name: the envelope's
 * `platform` enum, raw-message attributes, Block records and API filters use
 * this list. Each platform is a folder beside this file whose index.ts exports
 * its edge and normalizer adapters; ./registry.ts maps every name to its folder
 * (and fails to type-check until both agree).
 *
 * This file imports nothing on purpose: everything that only needs the names
 * (the envelope schema, every subscriber, the webhook functions) must not load
 * the adapters. docs/performance.md#cold-start-one-platform-per-webhook-bundle
 */
export const PLATFORMS = ['instagram', 'messenger', 'whatsapp', 'line', 'telegram'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Envelopes that no platform webhook carried (published by other Convotic services) use this source. */
export const INTERNAL_SOURCE = 'convotic' as const;

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}
