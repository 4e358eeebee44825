/** What the views share: the API client, the page's state, and navigation that keeps the URL in step. */
import type { ApiClient } from './api';
import type { PageState } from './url-state';

export interface Context {
  api: ApiClient;
  state: PageState;
  /** Changes the state, writes it to the URL (a history entry) and shows it. */
  navigate(change: Partial<PageState>): void;
  /** The URL (query string) of a state, for real links that can be opened in a new tab. */
  href(change: Partial<PageState>): string;
}

/** A fresh idempotency key: one per intended action, so a retried click does the action once. */
export const newKey = (): string => crypto.randomUUID();
