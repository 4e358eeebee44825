import { http } from '@google-cloud/functions-framework';
import { createWebhookFunction } from '../../shared/edge/function';
import { firestoreBlockRegistry } from '../../shared/edge/registry';
import { edge } from '../../shared/platforms/telegram/edge';

export const webhookTelegram = createWebhookFunction(edge, { registry: firestoreBlockRegistry });
http('webhookTelegram', webhookTelegram);
