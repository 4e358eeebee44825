import { http } from '@google-cloud/functions-framework';
import { createWebhookFunction } from '../../shared/edge/function';
import { edge } from '../../shared/platforms/instagram/edge';

export const webhookInstagram = createWebhookFunction(edge);
http('webhookInstagram', webhookInstagram);
