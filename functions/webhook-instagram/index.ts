import { http } from '@google-cloud/functions-framework';
import { createWebhookFunction } from '../../shared/edge/function';

export const webhookInstagram = createWebhookFunction('instagram');
http('webhookInstagram', webhookInstagram);
