import { http } from '@google-cloud/functions-framework';
import { createWebhookFunction } from '../../shared/edge/function';
import { edge } from '../../shared/platforms/messenger/edge';

export const webhookMessenger = createWebhookFunction(edge);
http('webhookMessenger', webhookMessenger);
