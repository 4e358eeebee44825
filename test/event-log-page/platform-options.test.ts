/**
 * The Event Log page's Platform filters are filled from shared/platforms when
 * the page is built: adding a platform adds it to both without touching the
 * HTML, and no placeholder is left for the browser to show.
 */
import { INTERNAL_SOURCE, PLATFORMS } from '../../shared/platforms';
import { bundleEventLogPage } from '../../web/event-log/bundle';

/** The option labels of the `<select name="platform">` inside the form `formId`. */
function platformChoices(html: string, formId: string): string[] {
  const form = new RegExp(`<form id="${formId}"[\\s\\S]*?</form>`).exec(html)?.[0] ?? '';
  const select = /<select name="platform">([\s\S]*?)<\/select>/.exec(form)?.[1] ?? '';
  return [...select.matchAll(/<option(?: value="")?>([^<]*)<\/option>/g)].map((m) => m[1] as string);
}

it('lists every platform in both Platform filters, and the internal source where events have it', async () => {
  const { html } = await bundleEventLogPage();
  expect(html).not.toMatch(/%[A-Z_]+%/);
  expect(platformChoices(html, 'filters')).toEqual(['any', ...PLATFORMS, INTERNAL_SOURCE]);
  expect(platformChoices(html, 'unrouted-filters')).toEqual(['any', ...PLATFORMS]);
}, 60_000);
