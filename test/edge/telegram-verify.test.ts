import { telegramSecretToken, verifyTelegramSecretToken } from '../../shared/platforms/telegram/verify';
import { signedRequest } from '../helpers/webhook-signing';

const TOKEN = 'tg_secret-Token_123';
const BODY = '{"update_id":10000,"message":{"message_id":1,"date":1711878930,"chat":{"id":1,"type":"private"},"text":"hi"}}';
const valid = () => signedRequest('telegram', BODY, TOKEN);

describe('verifyTelegramSecretToken', () => {
  it('accepts the Block secret token', () => {
    const { body, headers } = valid();
    expect(verifyTelegramSecretToken(body, headers, [TOKEN])).toEqual({ ok: true });
  });

  it('rejects a request without the header as missing_signature', () => {
    const { body, headers } = valid();
    delete headers['x-telegram-bot-api-secret-token'];
    expect(verifyTelegramSecretToken(body, headers, [TOKEN])).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('rejects another token, a prefix of it, and a longer one', () => {
    for (const token of ['other_token', TOKEN.slice(0, -1), TOKEN + 'x']) {
      const { body, headers } = signedRequest('telegram', BODY, token);
      expect(verifyTelegramSecretToken(body, headers, [TOKEN])).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });

  it('rejects a token with characters Telegram never issues', () => {
    const { body, headers } = signedRequest('telegram', BODY, 'has space');
    expect(verifyTelegramSecretToken(body, headers, ['has space'])).toEqual({ ok: false, reason: 'bad_signature' });
    expect(telegramSecretToken(headers)).toBeUndefined();
  });

  it('accepts the previous token during a rotation', () => {
    const { body, headers } = signedRequest('telegram', BODY, 'previous_token');
    expect(verifyTelegramSecretToken(body, headers, [TOKEN, 'previous_token'])).toEqual({ ok: true });
  });

  it('fails closed when the Block has no token', () => {
    const { body, headers } = valid();
    expect(verifyTelegramSecretToken(body, headers, [])).toEqual({ ok: false, reason: 'secret_not_configured' });
  });
});
