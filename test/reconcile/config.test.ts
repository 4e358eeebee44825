/**
 * Reconciliation's limits: the time budget is the one that binds (a run must
 * answer inside the events-api's 540 s timeout and the scheduler's attempt
 * deadline), the message count only a safety bound above it, and the events
 * API's request body takes the same maximum.
 */
import { Value } from '@sinclair/typebox/value';
import { ReconcileRunRequest } from '../../shared/events-api/schemas';
import { MAX_RECONCILE_MESSAGES, MAX_RECONCILE_SECONDS, reconcileConfig } from '../../shared/reconcile/config';

it('defaults to 420 s and 2,500,000 messages, more than 420 s gets through at the estimated 5,000 a second', () => {
  const config = reconcileConfig({});
  expect(config).toMatchObject({ maxSeconds: 420, maxMessages: 2_500_000 });
  expect(config.maxMessages).toBeGreaterThan(config.maxSeconds * 5000);
});

it('takes at most 500 seconds, inside the 540 s timeout, and at most 10,000,000 messages', () => {
  expect(MAX_RECONCILE_SECONDS).toBe(500);
  expect(reconcileConfig({ RECONCILE_MAX_SECONDS: '500' }).maxSeconds).toBe(500);
  expect(() => reconcileConfig({ RECONCILE_MAX_SECONDS: '501' })).toThrow(/RECONCILE_MAX_SECONDS/);
  expect(reconcileConfig({ RECONCILE_MAX_MESSAGES: '10000000' }).maxMessages).toBe(10_000_000);
  expect(() => reconcileConfig({ RECONCILE_MAX_MESSAGES: '10000001' })).toThrow(/RECONCILE_MAX_MESSAGES/);
});

it("bounds a request's max_messages by the same maximum", () => {
  expect(Value.Check(ReconcileRunRequest, { max_messages: MAX_RECONCILE_MESSAGES })).toBe(true);
  expect(Value.Check(ReconcileRunRequest, { max_messages: MAX_RECONCILE_MESSAGES + 1 })).toBe(false);
});
