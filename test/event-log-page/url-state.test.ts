/**
 * The page's state in its URL: what a shared link holds comes back as the
 * same view, unknown parameters are dropped, and the time inputs convert
 * between the reader's zone and the API's UTC both ways.
 */
import { CursorStack } from '../../web/event-log/pager';
import { DEFAULT_WORKSPACE, fromLocalInput, readState, toLocalInput, writeState, type PageState } from '../../web/event-log/url-state';

it.each<PageState>([
  { ws: 'ws_a', view: 'events', filter: {}, event: null },
  {
    ws: 'ws_a',
    view: 'events',
    filter: { platform: 'line', status: 'failed', type: 'messaging.*', from: '2026-06-01T12:00:00.000Z' },
    event: null,
  },
  { ws: 'ws_b', view: 'events', filter: { contact_id: 'ct_1', replayed: 'false' }, event: 'evt_1' },
  { ws: 'ws_c', view: 'unrouted', filter: { reason: 'unroutable', account: '123' }, event: null },
])('a state survives its URL: %j', (state) => {
  expect(readState(writeState(state))).toEqual(state);
});

it('defaults the workspace, and keeps only the filters of the view', () => {
  expect(readState('?status=failed&reason=unroutable&cursor=abc&limit=5')).toEqual({
    ws: DEFAULT_WORKSPACE,
    view: 'events',
    filter: { status: 'failed' },
    event: null,
  });
  expect(readState('?view=unrouted&status=failed&reason=unroutable').filter).toEqual({ reason: 'unroutable' });
});

it('converts datetime-local values to UTC and back (in the zone the test runs in)', () => {
  const iso = '2026-06-01T12:34:56.000Z';
  expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
  expect(fromLocalInput('')).toBe('');
  expect(fromLocalInput('not a time')).toBe('');
  expect(toLocalInput('nonsense')).toBe('');
});

it('pages back through the cursors that led forward', () => {
  const pages = new CursorStack();
  expect([pages.page, pages.current, pages.hasPrevious, pages.hasNext]).toEqual([0, undefined, false, false]);
  pages.shown('c1');
  pages.forward();
  pages.shown('c2');
  pages.forward();
  pages.shown(null);
  expect([pages.page, pages.current, pages.hasNext]).toEqual([2, 'c2', false]);
  pages.forward(); // no next page: stays
  expect(pages.page).toBe(2);
  pages.back();
  expect([pages.page, pages.current]).toEqual([1, 'c1']);
  pages.back();
  pages.back(); // already on the first page
  expect([pages.page, pages.current, pages.hasPrevious]).toEqual([0, undefined, false]);
  pages.shown('c1');
  pages.reset();
  expect([pages.page, pages.hasNext]).toEqual([0, false]);
});
