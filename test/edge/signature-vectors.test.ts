/**
 * Known-answer tests: the project's own fixtures (and, when SIGNATURE_VECTORS_DIR
 * names a folder of external vectors, those too) must verify with their secrets
 * over their exact bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { verifyLineSignature } from '../../shared/platforms/line/verify';
import { verifyMetaSignature } from '../../shared/platforms/meta/verify';
import { verifyTelegramSecretToken } from '../../shared/platforms/telegram/verify';
import type { VerifyResult } from '../../shared/platform-kit/types';
import { signLine, signMeta, signMetaSha1 } from '../helpers/webhook-signing';

interface Vector {
  id?: string;
  platform: string;
  header: string;
  body_file?: string;
  body_text?: string;
  secret: string;
  signature: string;
}

const ROOT = path.resolve(__dirname, '..', '..');
/** A folder of external vectors (vectors.json and its bodies), e.g. ones collected from the platforms' SDK test suites. */
const CORPUS = process.env.SIGNATURE_VECTORS_DIR;
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'edge');

function verify(v: Vector, body: Buffer): VerifyResult {
  const headers = { [v.header.toLowerCase()]: v.signature };
  if (v.platform === 'line') return verifyLineSignature(body, headers, [v.secret]);
  if (v.platform === 'telegram') return verifyTelegramSecretToken(body, headers, [v.secret]);
  return verifyMetaSignature(body, headers, [v.secret]);
}

// Registered only when SIGNATURE_VECTORS_DIR names a folder: the project's own fixtures below always run.
if (CORPUS) describeCorpus(CORPUS);

function describeCorpus(dir: string): void {
  const file = path.join(dir, 'vectors.json');
  if (!existsSync(file)) throw new Error(`SIGNATURE_VECTORS_DIR=${dir} holds no vectors.json`);
  const corpus: Vector[] = JSON.parse(readFileSync(file, 'utf8'));
  const corpusBody = (v: Vector) => (v.body_file ? readFileSync(path.join(dir, v.body_file)) : Buffer.from(v.body_text ?? ''));
  describe(`external vectors (${dir})`, () => {
    const sha256 = corpus.filter((v) => v.header.toLowerCase() !== 'x-hub-signature');
    const sha1 = corpus.filter((v) => v.header.toLowerCase() === 'x-hub-signature');

    it.each(sha256.map((v) => [v.id, v] as const))('%s verifies with its secret', (_id, v) => {
      expect(verify(v, corpusBody(v))).toEqual({ ok: true });
    });

    it.each(sha256.map((v) => [v.id, v] as const))('%s fails with a changed secret', (_id, v) => {
      expect(verify({ ...v, secret: v.secret + 'x' }, corpusBody(v))).toEqual({ ok: false, reason: 'bad_signature' });
    });

    if (sha1.length > 0) {
      it.each(sha1.map((v) => [v.id, v] as const))('%s (legacy sha1 header) is genuine yet refused', (_id, v) => {
        const body = corpusBody(v);
        expect(signMetaSha1(body, v.secret)).toBe(v.signature);
        expect(verifyMetaSignature(body, { 'x-hub-signature': v.signature }, [v.secret])).toEqual({
          ok: false,
          reason: 'missing_signature',
        });
      });
    }
  });
}

describe('project fixtures (test/fixtures/edge)', () => {
  const { vectors } = JSON.parse(readFileSync(path.join(FIXTURES, 'signatures.json'), 'utf8')) as { vectors: Vector[] };
  const body = (v: Vector) => readFileSync(path.join(FIXTURES, v.body_file!));

  it('covers every platform', () => {
    expect(new Set(vectors.map((v) => v.platform))).toEqual(new Set(['instagram', 'messenger', 'whatsapp', 'line', 'telegram']));
  });

  it.each(vectors.map((v) => [v.body_file, v] as const))('%s: the signing helper reproduces the stored signature', (_f, v) => {
    const expected =
      v.platform === 'line' ? signLine(body(v), v.secret) : v.platform === 'telegram' ? v.secret : signMeta(body(v), v.secret);
    expect(v.signature).toBe(expected);
  });

  it.each(vectors.map((v) => [v.body_file, v] as const))('%s verifies over its exact bytes', (_f, v) => {
    expect(verify(v, body(v))).toEqual({ ok: true });
  });

  it.each(vectors.filter((v) => v.platform !== 'telegram').map((v) => [v.body_file, v] as const))(
    '%s fails once re-serialized (same JSON, other bytes)',
    (_f, v) => {
      const reserialized = Buffer.from(JSON.stringify(JSON.parse(body(v).toString('utf8')), null, 1));
      expect(reserialized.equals(body(v))).toBe(false);
      expect(verify(v, reserialized)).toEqual({ ok: false, reason: 'bad_signature' });
    },
  );
});
