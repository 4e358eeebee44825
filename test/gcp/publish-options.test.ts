import { publishBatchMs } from '../../shared/runtime/gcp';

describe('PUBSUB_BATCH_MAX_MS', () => {
  it('defaults to 5 ms', () => {
    expect(publishBatchMs({})).toBe(5);
    expect(publishBatchMs({ PUBSUB_BATCH_MAX_MS: '' })).toBe(5);
  });

  it('takes a number of milliseconds', () => {
    expect(publishBatchMs({ PUBSUB_BATCH_MAX_MS: '0' })).toBe(0);
    expect(publishBatchMs({ PUBSUB_BATCH_MAX_MS: '20' })).toBe(20);
  });

  it.each(['-1', 'fast', '5000'])('refuses %s with the variable named', (value) => {
    expect(() => publishBatchMs({ PUBSUB_BATCH_MAX_MS: value })).toThrow(/PUBSUB_BATCH_MAX_MS/);
  });
});
