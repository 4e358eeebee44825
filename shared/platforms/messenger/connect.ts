/** Connecting a Messenger Page: its id and a Page access token (../meta/connect-page.ts). */
import { pageConnector } from '../meta/connect-page';

export const messengerConnector = pageConnector('messenger');
