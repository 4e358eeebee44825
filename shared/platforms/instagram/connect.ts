/**
 * Connecting an Instagram professional account through its linked Page: the
 * Page id and a Page access token; the Block is the Instagram account
 * (../meta/connect-page.ts).
 */
import { pageConnector } from '../meta/connect-page';

export const instagramConnector = pageConnector('instagram');
