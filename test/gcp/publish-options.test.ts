import { publishBatchMs } from '../../shared/gcp';

describe('PUBSUB_BATCH_MAX_MS', () => {
  it('defaults to 5 ms', () => {
    expect(publishBatchMs(undefined)).toBe(5);
    expect(publishBatchMs('')).toBe(5);
  });

  it('takes a number of milliseconds', () => {
    expect(publishBatchMs('0')).toBe(0);
    expect(publishBatchMs('20')).toBe(20);
  });

  it.each(['-1', 'fast', '5000'])('refuses %s with the variable named', (value) => {
    expect(() => publishBatchMs(value)).toThrow(/PUBSUB_BATCH_MAX_MS/);
  });
});
