import { http } from '@google-cloud/functions-framework';
import { createWebhookFunction } from '../../shared/edge/function';

export const webhookWhatsapp = createWebhookFunction('whatsapp');
http('webhookWhatsapp', webhookWhatsapp);
