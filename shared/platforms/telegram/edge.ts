/**
 * Telegram: updates do not name the bot, so the secret token identifies the
 * Block (registry lookup by its sha256). The lookup document only says which
 * Block a token was issued to; the Block's current secrets are authoritative,
 * so the token is then compared (constant time) with them: a token rotated out
 * of the Block's secrets stops working even if its lookup document lingers.
 */
import { connectedOn } from '../../contracts/blocks';
import { configErrorOnce } from '../../platform-kit/config-error';
import type { EdgeAdapter } from '../../platform-kit/types';
import { singleHeader } from '../../platform-kit/headers';
import { TELEGRAM_SECRET_HEADER, telegramSecretToken, verifyTelegramSecretToken } from './verify';

export const edge: EdgeAdapter = {
  platform: 'telegram',
  needsRegistry: true,
  async authenticate({ rawBody, headers }, { registry, log }) {
    if (!singleHeader(headers, TELEGRAM_SECRET_HEADER)) return { ok: false, reason: 'missing_signature' };
    const token = telegramSecretToken(headers);
    if (!token) return { ok: false, reason: 'bad_signature' };
    const block = connectedOn(registry ? await registry.byTelegramSecretToken(token) : undefined, 'telegram');
    if (!block) return { ok: false, reason: 'unknown_secret_token' };
    const tokens = (await registry?.secrets(block.block_id))?.telegram_secret_tokens ?? [];
    if (tokens.length === 0) {
      configErrorOnce(log, `telegram-secret:${block.block_id}`, 'Telegram Block has no secret token: its webhooks are rejected', {
        block_id: block.block_id,
        workspace_id: block.workspace_id,
      });
    }
    const result = verifyTelegramSecretToken(rawBody, headers, tokens);
    if (!result.ok) return result;
    return { ok: true, block: { block_id: block.block_id, workspace_id: block.workspace_id } };
  },
};
