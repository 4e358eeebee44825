import { http } from '@google-cloud/functions-framework';
import { createWebhookFunction } from '../../shared/edge/function';

export const webhookMessenger = createWebhookFunction('messenger');
http('webhookMessenger', webhookMessenger);
