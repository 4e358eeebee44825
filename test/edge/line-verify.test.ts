import { verifyLineSignature } from '../../shared/platforms/line/verify';
import { signedRequest, signLine } from '../helpers/webhook-signing';

const SECRET = 'line-channel-secret';
const BODY = '{"destination":"Uaaaabbbbccccddddeeeeffff00001111","events":[]}';
const valid = () => signedRequest('line', BODY, SECRET);

describe('verifyLineSignature', () => {
  it('accepts a body signed with the channel secret', () => {
    const { body, headers } = valid();
    expect(verifyLineSignature(body, headers, [SECRET])).toEqual({ ok: true });
  });

  it('rejects a request without X-Line-Signature as missing_signature', () => {
    const { body, headers } = valid();
    delete headers['x-line-signature'];
    expect(verifyLineSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('rejects a signature made with another secret', () => {
    const { body, headers } = signedRequest('line', BODY, 'other');
    expect(verifyLineSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a truncated signature', () => {
    const { body, headers } = valid();
    headers['x-line-signature'] = headers['x-line-signature']!.slice(0, 20);
    expect(verifyLineSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the signature with junk characters inserted (which a lenient base64 decoder would skip)', () => {
    const { body, headers } = valid();
    headers['x-line-signature'] = '!' + headers['x-line-signature']!;
    expect(verifyLineSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects the hex encoding of the right HMAC (LINE uses base64)', () => {
    const { body, headers } = valid();
    headers['x-line-signature'] = Buffer.from(signLine(body, SECRET), 'base64').toString('hex');
    expect(verifyLineSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a body changed by one byte', () => {
    const { body, headers } = valid();
    const changed = Buffer.from(body);
    changed[5] = changed[5]! ^ 1;
    expect(verifyLineSignature(changed, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('accepts the previous channel secret during a rotation', () => {
    const { body, headers } = signedRequest('line', BODY, 'line-previous');
    expect(verifyLineSignature(body, headers, [SECRET, 'line-previous'])).toEqual({ ok: true });
  });

  it('fails closed when the Block has no channel secret', () => {
    const { body, headers } = valid();
    expect(verifyLineSignature(body, headers, [])).toEqual({ ok: false, reason: 'secret_not_configured' });
  });
});
