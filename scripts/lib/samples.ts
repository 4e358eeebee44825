/**
 * Sample webhooks (scripts/samples/<platform>/<name>.json) and how to sign
 * them with the demo workspace's secrets. Used by `npm run send`, the e2e test
 * and the e2e benchmark.
 *
 * A sample file is `{ description, expect, body }`: `expect` lists the event
 * types the body should become, and `body` is the platform's payload with
 * placeholders that are filled at send time, so every send is fresh and routes
 * to the demo Blocks:
 *
 *   "{{now_ms}}" "{{now_s}}" "{{now_iso}}"  the send time (inside a string: text)
 *   "{{#now_ms}}" "{{#now_s}}"              the same, as a JSON number (whole value only)
 *   "{{rand}}"  "{{#rand_int}}"  "{{ulid}}" one random value per send (hex / integer / ULID-like),
 *                                           the same everywhere in the body; --id fixes it
 *   "{{page_id}}" "{{ig_id}}" "{{phone_number_id}}" "{{waba_id}}" "{{display_phone_number}}"
 *   "{{line_destination}}" "{{bot_id}}" "{{#bot_id}}"   the demo Blocks' account ids
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { isPlatform, PLATFORMS, type Platform } from '../../shared/platforms';
import { metaSignature } from '../../shared/platforms/meta/verify';
import { lineSignature } from '../../shared/platforms/line/verify';
import { DEMO_BLOCKS, DEMO_ENV_SECRETS, DEMO_WHATSAPP_BUSINESS_ACCOUNT_ID, DEMO_WHATSAPP_DISPLAY_NUMBER } from './demo';

export const SAMPLES_DIR = path.resolve(__dirname, '..', 'samples');

export interface Sample {
  platform: Platform;
  name: string;
  description: string;
  expect: string[];
  body: unknown;
}

export function listSamples(): Sample[] {
  const out: Sample[] = [];
  for (const platform of PLATFORMS) {
    const dir = path.join(SAMPLES_DIR, platform);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      out.push(loadSample(platform, file.slice(0, -5)));
    }
  }
  return out;
}

export function loadSample(platform: string, name: string): Sample {
  if (!isPlatform(platform)) throw new Error(`unknown platform ${JSON.stringify(platform)} (one of ${PLATFORMS.join(', ')})`);
  const file = path.join(SAMPLES_DIR, platform, `${name}.json`);
  if (!existsSync(file)) {
    const names = existsSync(path.join(SAMPLES_DIR, platform))
      ? readdirSync(path.join(SAMPLES_DIR, platform)).map((f) => f.replace(/\.json$/, ''))
      : [];
    throw new Error(`no sample ${platform}/${name}; ${platform} has: ${names.join(', ') || '(none)'}`);
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Omit<Sample, 'platform' | 'name'>;
  return { platform, name, description: parsed.description, expect: parsed.expect ?? [], body: parsed.body };
}

export interface FillOptions {
  now?: Date;
  /** Fixes the per-send random values: the same id gives the same platform event ids (a duplicate). */
  id?: string;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Fills the placeholders of a sample body (see the header comment). */
export function fillSample(body: unknown, options: FillOptions = {}): unknown {
  const now = options.now ?? new Date();
  const seed = options.id ?? `${Date.now()}-${Math.random()}`;
  const digest = createHash('sha256').update(seed).digest();
  const rand = digest.subarray(0, 8).toString('hex');
  // Below 2^53 and positive: a valid JSON integer for Telegram update_id / message_id.
  const randInt = Number(digest.readBigUInt64BE(8) % 9_000_000_000_000n) + 1_000_000_000_000;
  const ulid = Array.from(digest.subarray(16, 32))
    .map((b) => CROCKFORD[b % 32])
    .join('')
    .padEnd(26, '0')
    .slice(0, 26);
  const text: Record<string, string> = {
    now_ms: String(now.getTime()),
    now_s: String(Math.floor(now.getTime() / 1000)),
    now_iso: now.toISOString(),
    rand,
    rand_int: String(randInt),
    ulid,
    page_id: DEMO_BLOCKS.messenger.block.account_id,
    ig_id: DEMO_BLOCKS.instagram.block.account_id,
    phone_number_id: DEMO_BLOCKS.whatsapp.block.account_id,
    waba_id: DEMO_WHATSAPP_BUSINESS_ACCOUNT_ID,
    display_phone_number: DEMO_WHATSAPP_DISPLAY_NUMBER,
    line_destination: DEMO_BLOCKS.line.block.account_id,
    bot_id: DEMO_BLOCKS.telegram.block.account_id,
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const numeric = /^\{\{#(\w+)\}\}$/.exec(value);
      if (numeric) {
        const v = text[numeric[1]!];
        if (v === undefined) throw new Error(`unknown placeholder ${value}`);
        return Number(v);
      }
      return value.replace(/\{\{(\w+)\}\}/g, (m, key: string) => {
        const v = text[key];
        if (v === undefined) throw new Error(`unknown placeholder ${m}`);
        return v;
      });
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(body);
}

/**
 * The demo secret a platform's webhook is verified with. Telegram's is the one
 * a directly written demo Block has (scripts/lib/demo.ts): a Block connected
 * through the blocks API (what npm start does) has a secret token the
 * connector made, in the block secrets database (demoBlockSecret in
 * scripts/lib/demo-seed.ts); pass it as `secret`.
 */
export function demoSecret(platform: Platform): string {
  switch (platform) {
    case 'messenger':
    case 'instagram':
    case 'whatsapp':
      return DEMO_ENV_SECRETS.META_APP_SECRET!;
    case 'line':
      return DEMO_BLOCKS.line.secrets.line_channel_secrets![0]!;
    case 'telegram':
      return DEMO_BLOCKS.telegram.secrets.telegram_secret_tokens![0]!;
  }
}

/**
 * The headers that authenticate `rawBody` the way the platform would:
 * Meta X-Hub-Signature-256, LINE X-Line-Signature, Telegram's secret token.
 * `secret` defaults to the demo one; pass another to produce a refused request.
 */
export function signedHeaders(platform: Platform, rawBody: Buffer, secret = demoSecret(platform)): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  switch (platform) {
    case 'messenger':
    case 'instagram':
    case 'whatsapp':
      headers['x-hub-signature-256'] = metaSignature(rawBody, secret);
      break;
    case 'line':
      headers['x-line-signature'] = lineSignature(rawBody, secret);
      break;
    case 'telegram':
      headers['x-telegram-bot-api-secret-token'] = secret;
      break;
  }
  return headers;
}

export interface WebhookRequest {
  platform: Platform;
  body: Buffer;
  headers: Record<string, string>;
}

/** A filled, serialized and signed sample, ready to POST. */
export function sampleRequest(platform: Platform, name: string, options: FillOptions & { secret?: string } = {}): WebhookRequest {
  const body = Buffer.from(JSON.stringify(fillSample(loadSample(platform, name).body, options)), 'utf8');
  return { platform, body, headers: signedHeaders(platform, body, options.secret) };
}
