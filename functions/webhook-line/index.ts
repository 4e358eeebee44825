import { http } from '@google-cloud/functions-framework';
import { createWebhookFunction } from '../../shared/edge/function';
import { firestoreBlockRegistry } from '../../shared/edge/registry';

export const webhookLine = createWebhookFunction('line', { registry: firestoreBlockRegistry });
http('webhookLine', webhookLine);
