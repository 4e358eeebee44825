/** The push check when PUSH_AUTH is off: an answer at once, so requirePushAuth adds no promise to the request. */
import { createPushCheck, pushAuthConfig } from '../../shared/runtime/push-auth';

it('lets every push through at once, without a promise, when PUSH_AUTH is off', () => {
  const check = createPushCheck(pushAuthConfig({ PUSH_AUTH: 'off' }));
  const answer = check({});
  expect(answer).toBeUndefined();
  expect(answer).not.toBeInstanceOf(Promise);
});

it('verifies (a promise) when PUSH_AUTH is on', async () => {
  const check = createPushCheck(
    pushAuthConfig({ PUSH_AUDIENCE: 'https://normalizer.example', PUSH_SERVICE_ACCOUNT: 'push@p.iam.gserviceaccount.com' }),
    { fetch: () => Promise.reject(new Error('no keys needed for a missing token')) },
  );
  const answer = check({});
  expect(answer).toBeInstanceOf(Promise);
  await expect(answer).resolves.toMatchObject({ status: 401, code: 'unauthenticated' });
});
