/**
 * Requests checked against their schemas: which code each kind of mistake
 * gets, and that the message names the field and what it must be.
 */
import { ApiError } from '../../shared/events-api/http';
import { BulkReplayRequest, EventListQuery, InternalEventRequest, ReplayFilter } from '../../shared/events-api/schemas';
import { checked } from '../../shared/events-api/validate';

function refusal(run: () => unknown): { status: number; code: string; message: string } {
  try {
    run();
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('accepted');
}

describe('checked', () => {
  it('passes a request of the right shape through as it is', () => {
    const query = { status: 'failed', limit: '20', from: '2026-04-01T00:00:00Z' };
    expect(checked(EventListQuery, query, { in: 'query' })).toBe(query);
    expect(checked(BulkReplayRequest, { filter: { replayed: false }, dry_run: true }, { in: 'body' })).toEqual({
      filter: { replayed: false },
      dry_run: true,
    });
  });

  it('names unknown parameters and lists the accepted ones (unknown_parameter)', () => {
    expect(refusal(() => checked(EventListQuery, { colour: 'red', status: 'failed' }, { in: 'query' }))).toEqual({
      status: 400,
      code: 'unknown_parameter',
      message: expect.stringMatching(/^unknown parameter\(s\) colour; accepted: platform, type, .*limit, cursor$/),
    });
    expect(refusal(() => checked(ReplayFilter, { colour: 'red' }, { in: 'body', prefix: 'filter.' })).message).toMatch(
      /^unknown field\(s\) filter\.colour; accepted: filter\.platform/,
    );
  });

  it('says what a query value must be, and that a parameter is given once', () => {
    expect(refusal(() => checked(EventListQuery, { status: 'done' }, { in: 'query' }))).toEqual({
      status: 400,
      code: 'invalid_parameter',
      message: 'status must be one of success, retrying, failed, processing, rejected, got "done"',
    });
    expect(refusal(() => checked(EventListQuery, { platform: ['line', 'instagram'] }, { in: 'query' })).message).toBe(
      'platform must be given once, as a string',
    );
    expect(refusal(() => checked(EventListQuery, { limit: '1e3' }, { in: 'query' })).message).toMatch(
      /^limit must be an integer from 1 to 200/,
    );
  });

  it('answers invalid_body for body fields, invalid_parameter for a list filter in a body, and names missing fields', () => {
    expect(refusal(() => checked(BulkReplayRequest, { max_events: 0 }, { in: 'body' }))).toMatchObject({
      code: 'invalid_body',
      message: expect.stringMatching(/^max_events must be an integer from 1 to 500/),
    });
    expect(
      refusal(() => checked(ReplayFilter, { status: 'x' }, { in: 'body', prefix: 'filter.', invalid: 'invalid_parameter' })),
    ).toMatchObject({
      code: 'invalid_parameter',
      message: expect.stringMatching(/^filter\.status must be one of/),
    });
    expect(refusal(() => checked(InternalEventRequest, { data: {} }, { in: 'body' }))).toMatchObject({
      code: 'invalid_body',
      message: 'type is required',
    });
    expect(refusal(() => checked(BulkReplayRequest, [1], { in: 'body' }))).toMatchObject({
      code: 'invalid_body',
      message: 'the body must be a JSON object',
    });
  });
});
