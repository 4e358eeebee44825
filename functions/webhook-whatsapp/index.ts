import { http } from '@google-cloud/functions-framework';
import { createWebhookFunction } from '../../shared/edge/function';
import { edge } from '../../shared/platforms/whatsapp/edge';

export const webhookWhatsapp = createWebhookFunction(edge);
http('webhookWhatsapp', webhookWhatsapp);
