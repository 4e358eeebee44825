import { http } from '@google-cloud/functions-framework';
import { createWebhookFunction } from '../../shared/edge/function';
import { firestoreBlockRegistry } from '../../shared/edge/registry';
import { edge } from '../../shared/platforms/line/edge';

export const webhookLine = createWebhookFunction(edge, { registry: firestoreBlockRegistry });
http('webhookLine', webhookLine);
