import { verifyMetaSignature } from '../../shared/platforms/meta/verify';
import { verifyMetaHandshake } from '../../shared/platforms/meta/handshake';
import { signedRequest, signMeta, signMetaSha1 } from '../helpers/webhook-signing';

const SECRET = 'app-secret-current';
const PREVIOUS = 'app-secret-previous';
const BODY = '{"object":"instagram","entry":[{"id":"17841400000000000","time":1711878930,"messaging":[]}]}';

function valid() {
  return signedRequest('instagram', BODY, SECRET);
}

describe('verifyMetaSignature', () => {
  it('accepts a body signed with the app secret', () => {
    const { body, headers } = valid();
    expect(verifyMetaSignature(body, headers, [SECRET])).toEqual({ ok: true });
  });

  it('rejects a request without X-Hub-Signature-256 as missing_signature', () => {
    const { body, headers } = valid();
    delete headers['x-hub-signature-256'];
    expect(verifyMetaSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('takes an empty X-Hub-Signature-256 as missing, and tolerates whitespace around a good one', () => {
    const { body, headers } = valid();
    const good = headers['x-hub-signature-256'] as string;
    expect(verifyMetaSignature(body, { ...headers, 'x-hub-signature-256': '' }, [SECRET])).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
    expect(verifyMetaSignature(body, { ...headers, 'x-hub-signature-256': ` ${good} ` }, [SECRET])).toEqual({ ok: true });
  });

  it('refuses the legacy sha1 X-Hub-Signature header even when its HMAC is right', () => {
    const { body, headers } = valid();
    delete headers['x-hub-signature-256'];
    headers['x-hub-signature'] = signMetaSha1(body, SECRET);
    expect(verifyMetaSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('refuses a sha1 value placed in the sha256 header', () => {
    const { body, headers } = valid();
    headers['x-hub-signature-256'] = signMetaSha1(body, SECRET);
    expect(verifyMetaSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a signature made with another secret', () => {
    const { body, headers } = signedRequest('instagram', BODY, 'someone-else');
    expect(verifyMetaSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a truncated signature', () => {
    const { body, headers } = valid();
    headers['x-hub-signature-256'] = headers['x-hub-signature-256']!.slice(0, -2);
    expect(verifyMetaSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a signature without the sha256= prefix', () => {
    const { body, headers } = valid();
    headers['x-hub-signature-256'] = headers['x-hub-signature-256']!.slice('sha256='.length);
    expect(verifyMetaSignature(body, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a body changed by one byte', () => {
    const { body, headers } = valid();
    const changed = Buffer.from(body);
    changed[changed.length - 3] = changed[changed.length - 3]! ^ 1;
    expect(verifyMetaSignature(changed, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('verifies the exact bytes: re-serialized JSON with the same meaning fails', () => {
    const { headers } = signedRequest('instagram', '{ "object": "page", "entry": [] }', SECRET);
    const reserialized = Buffer.from(JSON.stringify({ object: 'page', entry: [] }));
    expect(verifyMetaSignature(reserialized, headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('accepts the previous secret during a rotation, and the current one', () => {
    const old = signedRequest('instagram', BODY, PREVIOUS);
    expect(verifyMetaSignature(old.body, old.headers, [SECRET, PREVIOUS])).toEqual({ ok: true });
    const current = valid();
    expect(verifyMetaSignature(current.body, current.headers, [SECRET, PREVIOUS])).toEqual({ ok: true });
  });

  it('accepts upper-case hex (the same bytes)', () => {
    const { body, headers } = valid();
    headers['x-hub-signature-256'] = 'sha256=' + headers['x-hub-signature-256']!.slice(7).toUpperCase();
    expect(verifyMetaSignature(body, headers, [SECRET])).toEqual({ ok: true });
  });

  it('rejects two signature headers (ambiguous)', () => {
    const { body, headers } = valid();
    const both = { ...headers, 'x-hub-signature-256': [headers['x-hub-signature-256']!, signMeta(body, 'x')] };
    expect(verifyMetaSignature(body, both, [SECRET])).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('fails closed when no secret is configured', () => {
    const { body, headers } = valid();
    expect(verifyMetaSignature(body, headers, [])).toEqual({ ok: false, reason: 'secret_not_configured' });
  });

  it('rejects an empty body signed for another body', () => {
    const { headers } = valid();
    expect(verifyMetaSignature(Buffer.alloc(0), headers, [SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('verifyMetaHandshake', () => {
  const query = (q: Record<string, string>) => new URLSearchParams(q);
  const ok = { 'hub.mode': 'subscribe', 'hub.verify_token': 'vt-current', 'hub.challenge': '1158201444' };

  it('echoes the challenge for a known token and says which one matched', () => {
    expect(verifyMetaHandshake(query(ok), ['vt-current', 'vt-old'])).toEqual({ ok: true, challenge: '1158201444', tokenIndex: 0 });
    expect(verifyMetaHandshake(query({ ...ok, 'hub.verify_token': 'vt-old' }), ['vt-current', 'vt-old'])).toEqual({
      ok: true,
      challenge: '1158201444',
      tokenIndex: 1,
    });
  });

  it('answers 403 for an unknown token', () => {
    expect(verifyMetaHandshake(query({ ...ok, 'hub.verify_token': 'guess' }), ['vt-current'])).toEqual({
      ok: false,
      status: 403,
      reason: 'unknown_verify_token',
    });
  });

  it('answers 403 when no token is configured (fail closed)', () => {
    expect(verifyMetaHandshake(query(ok), [])).toMatchObject({ ok: false, status: 403 });
  });

  it.each(['hub.mode', 'hub.verify_token', 'hub.challenge'])('answers 400 without %s', (param) => {
    const q = { ...ok } as Record<string, string>;
    delete q[param];
    expect(verifyMetaHandshake(query(q), ['vt-current'])).toEqual({ ok: false, status: 400, reason: 'invalid_handshake' });
  });

  it('answers 400 for a mode other than subscribe', () => {
    expect(verifyMetaHandshake(query({ ...ok, 'hub.mode': 'unsubscribe' }), ['vt-current'])).toMatchObject({ status: 400 });
  });
});
