/**
 * The `httpRequest` field of the HTTP functions' request lines: Cloud
 * Logging's shape, and no credential from the query string.
 */
import { durationText, httpRequestField, redactedUrl } from '../../shared/runtime/http-request';

test("Meta's verify token and other credential-like query values are replaced; the rest is kept", () => {
  expect(redactedUrl('/?hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=123')).toBe(
    '/?hub.mode=subscribe&hub.verify_token=REDACTED&hub.challenge=123',
  );
  expect(redactedUrl('/x?access_token=a&api%5Fkey=b&Client_Secret=c&sig=d&signature=e&password=f&limit=5')).toBe(
    '/x?access_token=REDACTED&api%5Fkey=REDACTED&Client_Secret=REDACTED&sig=d&signature=REDACTED&password=REDACTED&limit=5',
  );
  expect(redactedUrl('/workspaces/ws/events')).toBe('/workspaces/ws/events');
  expect(redactedUrl('/?%E0%A4%A=1&token')).toBe('/?%E0%A4%A=1&token');
});

test('durations are protobuf Duration text in seconds', () => {
  expect(durationText(123)).toBe('0.123s');
  expect(durationText(1.5)).toBe('0.0015s');
  expect(durationText(0)).toBe('0s');
  expect(durationText(100_000)).toBe('100s');
  expect(durationText(-3)).toBe('0s');
});

test('the field: method, redacted URL, status, latency, user agent, the first forwarded address, sizes as strings', () => {
  expect(
    httpRequestField({
      method: 'GET',
      url: '/?hub.verify_token=t0k&hub.challenge=1',
      status: 200,
      latencyMs: 12.5,
      headers: { 'user-agent': 'facebookexternalua', 'x-forwarded-for': '203.0.113.9, 10.0.0.1' },
      remoteIp: '10.0.0.2',
      requestSize: 0,
      responseSize: 10,
    }),
  ).toEqual({
    requestMethod: 'GET',
    requestUrl: '/?hub.verify_token=REDACTED&hub.challenge=1',
    status: 200,
    latency: '0.0125s',
    userAgent: 'facebookexternalua',
    remoteIp: '203.0.113.9',
    requestSize: '0',
    responseSize: '10',
  });
});
