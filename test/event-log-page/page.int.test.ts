/**
 * The Event Log page in a real browser (headless Chromium, playwright-core)
 * against the events API on the emulators: a seeded log of 60 events with
 * every status, read through the page exactly as an operator would. What the
 * page shows is compared with what the API answers for the same query.
 * Screenshots land in test-artifacts/screenshots/ (git-ignored).
 */
import { randomInt } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { Envelope } from '../../shared/envelope';
import { getFirestore } from '../../shared/runtime/gcp';
import { reportOutcome } from '../../shared/event-log/outcomes';
import { blockStores, saveBlock } from '../../shared/contracts/blocks';
import { createTopic, envelopeAttributes, listen, messageEnvelope, push, pushSubscription, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { deliverUnrouted, whatsappBody, whatsappMessage } from '../helpers/unrouted';
import { waitFor } from '../helpers/wait';
import { describeInBrowser, launchBrowser, screenshotPath, type Browser } from './browser';
import '../../functions/event-log';

// Replays go to a topic of this file's own, pushed to the event log like `events` is.
const topic = uniqueName('events-page').replace(/_/g, '-');
const jobsTopic = uniqueName('replay-jobs-page').replace(/_/g, '-');
process.env.EVENTS_TOPIC = topic;
process.env.REPLAY_JOBS_TOPIC = jobsTopic;
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/events-api');

const ws = uniqueName('ws_page');
const smallWs = uniqueName('ws_page_all');
const PLATFORMS = ['instagram', 'line', 'messenger'] as const;
const BASE = Date.UTC(2026, 5, 1, 12, 0, 0);
const at = (minute: number) => new Date(BASE + minute * 60_000).toISOString();
const PHONE = `${Date.now()}${randomInt(100_000, 999_999)}`;

interface Row {
  id: string;
  status: string;
  platform: string;
  contact_id: string | null;
  execution_ids: string[];
  replays: string[];
}

let eventLog: Running;
let api: Running;
let browser: Browser;
let page: Page;
const requested: string[] = [];

async function logEnvelope(e: Envelope): Promise<void> {
  const res = await push(eventLog.url, { data: JSON.stringify(e), attributes: envelopeAttributes(e) }, 'event-log');
  if (res.status !== 204) throw new Error(`seeding ${e.id} failed: ${res.status}`);
}

/** The API's own answer to a list query: what the page must show. */
async function apiList(w: string, query: Record<string, string> = {}): Promise<{ items: Row[]; next_cursor: string | null }> {
  const res = await fetch(`${api.url}/workspaces/${w}/events?${new URLSearchParams({ limit: '50', ...query })}`);
  if (!res.ok) throw new Error(`list ${w} ${JSON.stringify(query)}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { items?: Row[]; events?: Row[]; next_cursor: string | null };
  return { items: body.items ?? body.events ?? [], next_cursor: body.next_cursor };
}

/** Seeds one workspace's log: `n` messages a minute apart, each consumer outcome by `i % 4`. */
async function seed(w: string, n: number): Promise<void> {
  const db = getFirestore();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const platform = PLATFORMS[i % 3]!;
      const e = messageEnvelope({
        workspaceId: w,
        platform,
        blockId: `blk_${platform}`,
        user: `u${i % 5}`,
        rawId: uniqueName(`m${i}`),
        at: at(i),
        text: `message ${i}`,
      });
      await logEnvelope(e);
      const report = (consumer: string, status: 'success' | 'retrying' | 'failed', attempt: number, extra = {}) =>
        reportOutcome(db, { workspace_id: w, event_id: e.id, consumer, status, attempt, ...extra });
      if (i % 4 === 0) {
        await report('contacts', 'success', 1);
        await report('triggers', 'success', 1, { execution_ids: [`exe_page_${i}`] });
      } else if (i % 4 === 1) {
        await report('contacts', 'failed', 5, { error: 'contacts store unavailable (seeded failure)' });
        await report('triggers', 'success', 1);
      } else if (i % 4 === 2) {
        await report('contacts', 'retrying', 2, { error: 'deadline exceeded (seeded)' });
      }
    }),
  );
}

/** An unroutable WhatsApp message (no Block has the phone number): what the Unrouted view lists. */
async function seedUnrouted(): Promise<string> {
  const body = whatsappBody(PHONE, [whatsappMessage(uniqueName('wamid'), 'hi')]);
  const { rejections } = await deliverUnrouted(eventLog.url, 'whatsapp', body, at(0));
  const [rejection] = rejections;
  if (!rejection || rejections.length !== 1) throw new Error(`expected one rejection, got ${rejections.length}`);
  return rejection.id;
}

const rowIds = (p: Page, table = 'events') => p.$$eval(`#${table} tbody tr`, (trs) => trs.map((t) => (t as HTMLElement).dataset.id ?? ''));

/** Waits until the table shows exactly these rows, in this order (the page loads asynchronously). */
async function waitForRows(p: Page, ids: string[], table = 'events'): Promise<void> {
  try {
    await p.waitForFunction(
      ([t, want]) => {
        const got = Array.from(document.querySelectorAll(`#${t} tbody tr`)).map((r) => (r as HTMLElement).dataset.id);
        return JSON.stringify(got) === JSON.stringify(want);
      },
      [table, ids] as const,
      { timeout: 15_000 },
    );
  } catch {
    const problem = await p.textContent('#problem');
    throw new Error(`the ${table} table shows ${JSON.stringify(await rowIds(p, table))}, not ${JSON.stringify(ids)}; problem: ${problem}`);
  }
}

const textOf = async (p: Page, selector: string) => ((await p.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();
const param = (p: Page, name: string) => new URL(p.url()).searchParams.get(name);

describeInBrowser('the Event Log page', () => {
  beforeAll(async () => {
    [eventLog, api] = await Promise.all([listen('eventLog'), listen('eventsApi')]);
    await createTopic(topic);
    await pushSubscription(`${topic}-log`, topic, eventLog.url);
    // As topology.json's events-api-replay-jobs: bulk replay jobs are pushed back to the API, which runs them.
    await createTopic(jobsTopic);
    await pushSubscription(`${jobsTopic}-run`, jobsTopic, api.url);
    await Promise.all([seed(ws, 60), seed(smallWs, 3)]);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    browser.context.on('request', (r) => requested.push(r.url()));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([eventLog?.close(), api?.close()]);
  });

  it("lists the newest events first, with status, each consumer's outcome, last error, contact and executions", async () => {
    const expected = await apiList(ws);
    expect(expected.items).toHaveLength(50);
    await page.goto(`${api.url}/?ws=${ws}`);
    await waitForRows(
      page,
      expected.items.map((r) => r.id),
    );
    const first = expected.items[0]!;
    const firstRow = `#events tbody tr[data-id="${first.id}"]`;
    // The newest is message 59 (59 % 4 = 3: no consumer has reported yet).
    expect(await textOf(page, firstRow)).toContain('processing');
    const success = expected.items.find((r) => r.status === 'success')!;
    const successRow = await textOf(page, `#events tbody tr[data-id="${success.id}"]`);
    expect(successRow).toContain(success.execution_ids[0]!);
    expect(successRow).toContain(success.contact_id!);
    expect(successRow).toContain('messaging.message.received');
    const failed = expected.items.find((r) => r.status === 'failed')!;
    const failedRow = await textOf(page, `#events tbody tr[data-id="${failed.id}"]`);
    expect(failedRow).toContain('contacts, attempt 5: contacts store unavailable');
    // Each consumer's outcome, on the row itself.
    expect(failedRow).toContain('contacts: failed');
    expect(failedRow).toContain('triggers: success');
    expect(await textOf(page, '#events-page')).toBe('page 1');
    await page.screenshot({ path: screenshotPath('list'), fullPage: false });
  });

  it('pages forward and back through the cursor', async () => {
    const first = await apiList(ws);
    const second = await apiList(ws, { cursor: first.next_cursor! });
    expect(second.items).toHaveLength(10);
    await page.goto(`${api.url}/?ws=${ws}`);
    await waitForRows(
      page,
      first.items.map((r) => r.id),
    );
    await page.click('#events-next');
    await waitForRows(
      page,
      second.items.map((r) => r.id),
    );
    expect(await textOf(page, '#events-page')).toBe('page 2');
    expect(await page.isDisabled('#events-next')).toBe(true);
    await page.click('#events-prev');
    await waitForRows(
      page,
      first.items.map((r) => r.id),
    );
    expect(await page.isDisabled('#events-prev')).toBe(true);
  });

  it('filters by every field, keeps the filters in the URL, and a shared URL shows the same view', async () => {
    await page.goto(`${api.url}/?ws=${ws}`);
    await waitForRows(
      page,
      (await apiList(ws)).items.map((r) => r.id),
    );
    await page.selectOption('#filters select[name=platform]', 'line');
    await page.selectOption('#filters select[name=status]', 'failed');
    await page.fill('#filters input[name=type]', 'messaging.*');
    await page.fill('#filters input[name=from]', '2026-06-01T12:10:00');
    await page.fill('#filters input[name=to]', '2026-06-01T12:50:00');
    await page.click('#filters button[type=submit]');
    const query = { platform: 'line', status: 'failed', type: 'messaging.*', from: at(10), to: at(50) };
    const expected = (await apiList(ws, query)).items.map((r) => r.id);
    expect(expected.length).toBeGreaterThan(0);
    await waitForRows(page, expected);
    for (const [name, value] of Object.entries(query)) expect(param(page, name)).toBe(value);

    // Opened from the URL alone: the same rows, the same form.
    const shared = await browser.context.newPage();
    await shared.goto(page.url());
    await waitForRows(shared, expected);
    expect(await shared.inputValue('#filters select[name=platform]')).toBe('line');
    expect(await shared.inputValue('#filters select[name=status]')).toBe('failed');
    expect(await shared.inputValue('#filters input[name=type]')).toBe('messaging.*');
    // Chromium drops the seconds when they are 0.
    expect(await shared.inputValue('#filters input[name=from]')).toMatch(/^2026-06-01T12:10(:00)?$/);
    await shared.close();

    // Contact, Block and replayed, then Clear.
    const someone = (await apiList(ws)).items.find((r) => r.contact_id)!.contact_id!;
    await page.click('#clear');
    await page.fill('#filters input[name=contact_id]', someone);
    await page.fill('#filters input[name=block_id]', 'blk_messenger');
    await page.selectOption('#filters select[name=replayed]', 'false');
    await page.click('#filters button[type=submit]');
    const byContact = (await apiList(ws, { contact_id: someone, block_id: 'blk_messenger', replayed: 'false' })).items.map((r) => r.id);
    expect(byContact.length).toBeGreaterThan(0);
    await waitForRows(page, byContact);
    expect(param(page, 'contact_id')).toBe(someone);
    expect(param(page, 'replayed')).toBe('false');

    // Back steps through the views: Clear (every event), then the first filter.
    await page.goBack();
    await waitForRows(
      page,
      (await apiList(ws)).items.map((r) => r.id),
    );
    await page.goBack();
    await waitForRows(page, expected);
    expect(await page.inputValue('#filters select[name=platform]')).toBe('line');
  });

  it("shows an event's detail: consumers with attempts and errors, last error, envelope, executions", async () => {
    const failed = (await apiList(ws, { status: 'failed' })).items[0]!;
    await page.goto(`${api.url}/?ws=${ws}&status=failed`);
    await waitForRows(
      page,
      (await apiList(ws, { status: 'failed' })).items.map((r) => r.id),
    );
    await page.click(`#events tbody tr[data-id="${failed.id}"] a`);
    await page.waitForSelector('#detail-view h2');
    expect(param(page, 'event')).toBe(failed.id);
    const consumers = await textOf(page, '.consumers-table');
    expect(consumers).toMatch(/contacts\s*failed\s*5\s*contacts store unavailable \(seeded failure\)/);
    expect(consumers).toMatch(/triggers\s*success\s*1/);
    expect(await textOf(page, '#detail-view')).toContain('Last error');
    const envelope = JSON.parse((await page.textContent('#envelope')) ?? '') as Envelope;
    expect(envelope.id).toBe(failed.id);
    expect(envelope.workspace_id).toBe(ws);
    await page.screenshot({ path: screenshotPath('detail'), fullPage: true });

    const success = (await apiList(ws, { status: 'success' })).items[0]!;
    await page.goto(`${api.url}/?ws=${ws}&event=${success.id}`);
    await page.waitForSelector('#detail-view h2');
    expect(await textOf(page, '#detail-view')).toContain(success.execution_ids[0]!);
  });

  it('replays one event and shows the new id, which links back to it', async () => {
    const original = (await apiList(ws, { status: 'failed', platform: 'instagram' })).items[0]!;
    await page.goto(`${api.url}/?ws=${ws}&event=${original.id}`);
    await page.click('#replay-one');
    const link = await page.waitForSelector('.replay-outcome a');
    const replayId = (await link.textContent()) ?? '';
    expect(replayId).toMatch(/^evt_/);
    expect(replayId).not.toBe(original.id);
    // The replay reaches the log through Pub/Sub; then its detail names what it replays.
    await waitFor('the replay logged', async () => ((await fetch(`${api.url}/workspaces/${ws}/events/${replayId}`)).ok ? true : undefined));
    await link.click();
    await page.waitForFunction(
      (id) => document.querySelector('#detail-view h2') && new URL(location.href).searchParams.get('event') === id,
      replayId,
    );
    await page.waitForSelector(`#detail-view a[href*="event=${original.id}"]`);
    expect(await textOf(page, '#detail-view')).toContain(`Replay of${original.id}`);
  });

  it('bulk replay: a dry run counts first and sends nothing, then the job runs to its end', async () => {
    const query = { platform: 'messenger', status: 'retrying' };
    const matching = (await apiList(ws, query)).items;
    expect(matching.length).toBeGreaterThan(1);
    await page.goto(`${api.url}/?ws=${ws}&platform=messenger&status=retrying`);
    await waitForRows(
      page,
      matching.map((r) => r.id),
    );
    await page.click('#bulk-open');
    await page.waitForSelector('#bulk-count');
    expect(await textOf(page, '#bulk-count')).toContain(`Dry run: ${matching.length} events would be replayed`);
    await page.screenshot({ path: screenshotPath('bulk-dry-run'), fullPage: false });
    // The dry run replayed nothing.
    expect((await apiList(ws, query)).items.every((r) => r.replays.length === 0)).toBe(true);

    await page.click('#bulk-confirm');
    await page.waitForFunction(() => /completed/.test(document.querySelector('#bulk-status')?.textContent ?? ''), undefined, {
      timeout: 30_000,
    });
    expect(await textOf(page, '#bulk-counts')).toBe(
      `${matching.length} of ${matching.length} done · ${matching.length} replayed · 0 failed`,
    );
    const after = (await apiList(ws, query)).items;
    expect(after.every((r) => r.replays.length === 1)).toBe(true);
    // The list is read again when the job ends: every row now says it was replayed.
    await page.waitForFunction(
      (n) => Array.from(document.querySelectorAll('#events tbody tr')).filter((r) => r.textContent?.includes('replayed ×1')).length === n,
      matching.length,
    );
    await page.screenshot({ path: screenshotPath('bulk-done'), fullPage: false });
  });

  it('bulk replay of an empty filter needs its own confirmation', async () => {
    const all = (await apiList(smallWs)).items;
    expect(all).toHaveLength(3);
    await page.goto(`${api.url}/?ws=${smallWs}`);
    await waitForRows(
      page,
      all.map((r) => r.id),
    );
    await page.click('#bulk-open');
    await page.waitForSelector('#bulk-count');
    expect(await textOf(page, '#bulk-count')).toContain('Dry run: 3 events would be replayed');
    expect(await textOf(page, '#bulk')).toContain(`No filter: replay every event of workspace ${smallWs}`);
    expect(await page.isDisabled('#bulk-confirm')).toBe(true);
    await page.check('#bulk-all');
    expect(await page.isDisabled('#bulk-confirm')).toBe(false);
    await page.click('#bulk-confirm');
    await page.waitForFunction(() => /completed/.test(document.querySelector('#bulk-status')?.textContent ?? ''), undefined, {
      timeout: 30_000,
    });
    expect(await textOf(page, '#bulk-counts')).toBe('3 of 3 done · 3 replayed · 0 failed');
  });

  it('live mode shows a new event at the top as it arrives', async () => {
    await page.goto(`${api.url}/?ws=${ws}`);
    await waitForRows(
      page,
      (await apiList(ws)).items.map((r) => r.id),
    );
    await page.check('#live');
    const fresh = messageEnvelope({ workspaceId: ws, platform: 'line', blockId: 'blk_line', rawId: uniqueName('live'), at: at(24 * 60) });
    await logEnvelope(fresh);
    await page.waitForSelector(`#events tbody tr.fresh[data-id="${fresh.id}"]`, { timeout: 20_000 });
    expect((await rowIds(page))[0]).toBe(fresh.id);
    await page.uncheck('#live');
  });

  it('shows an API problem with its title, detail and request id', async () => {
    await page.goto(`${api.url}/?ws=${ws}&type=no.such.*`);
    await page.waitForSelector('#problem:not([hidden])');
    const problem = await textOf(page, '#problem');
    expect(problem).toContain('(400)');
    expect(problem).toContain('type=no.such.* is not a known event domain');
    expect(problem).toMatch(/request id [A-Za-z0-9._:-]+/);
  });

  it('lists unrouted items with their reason; a replay is refused with the reason until the Block is connected, then routes', async () => {
    const id = await seedUnrouted();
    await page.goto(`${api.url}/?ws=${ws}&view=unrouted&account=${PHONE}`);
    await waitForRows(page, [id], 'unrouted');
    const row = `#unrouted tbody tr[data-id="${id}"]`;
    expect(await textOf(page, row)).toContain('unroutable');
    expect(await textOf(page, row)).toContain(PHONE);
    await page.click(`${row} button`);
    await page.waitForSelector(`${row} .replay-outcome .error-text`);
    expect(await textOf(page, `${row} .replay-outcome`)).toContain('(409)');
    expect(await textOf(page, `${row} .replay-outcome`)).toContain('still_unroutable');

    // The Block is connected: the same button now routes the item into the workspace.
    await saveBlock(blockStores(), {
      block_id: uniqueName('blk_wa'),
      workspace_id: ws,
      platform: 'whatsapp',
      account_id: PHONE,
      status: 'connected',
    });
    await page.click(`${row} button`);
    await page.waitForSelector(`${row} .replay-outcome .ok`);
    const routed = await textOf(page, `${row} .replay-outcome`);
    expect(routed).toMatch(new RegExp(`^Routed to ${ws} as evt_[a-z0-9]+$`));
    const eventId = routed.split(' as ')[1]!;
    await waitFor('the routed event logged', async () =>
      (await fetch(`${api.url}/workspaces/${ws}/events/${eventId}`)).ok ? true : undefined,
    );
  });

  it('is readable on a phone: the table becomes cards, nothing scrolls sideways', async () => {
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${api.url}/?ws=${ws}`);
    await waitForRows(
      phone,
      (await apiList(ws)).items.map((r) => r.id),
    );
    const layout = await phone.evaluate(() => ({
      thead: getComputedStyle(document.querySelector('#events thead')!).display,
      row: getComputedStyle(document.querySelector('#events tbody tr')!).display,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
    }));
    expect(layout).toEqual({ thead: 'none', row: 'block', overflow: 0 });
    await phone.screenshot({ path: screenshotPath('phone-list'), fullPage: false });
    const failed = (await apiList(ws, { status: 'failed' })).items[0]!;
    await phone.goto(`${api.url}/?ws=${ws}&event=${failed.id}`);
    await phone.waitForSelector('#detail-view h2');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBe(0);
    await phone.screenshot({ path: screenshotPath('phone-detail'), fullPage: false });
    await phone.close();
  });

  it('asked nothing of any origin but the events API', () => {
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((u) => !u.startsWith(`${api.url}/`))).toEqual([]);
  });
});
