export { createContactsService, type ContactsDeps, type ContactsService } from './handler';
export { contactsConfig, DEFAULT_COALESCE_SECONDS, type ContactsConfig } from './config';
export type { ContactDoc, ConversationDoc } from './model';
