// Fan-out: every transition to Server-Sent Events clients, the MQTT event topic and webhooks.
export { transitionMessage, matches, type TransitionMessage, type SubscriberFilter } from './message.js';
export { createSseHub, type SseHub, type StreamView } from './sse.js';
export { createWebhooks, newWebhookSchema, webhookSchema, deliverySchema, signBody, defaultWebhookRetry, type Webhooks, type Webhook, type NewWebhook, type Delivery, type WebhookRetry } from './webhooks.js';
export { parseAllowList, refusedAddress, type EgressPolicy } from './egress.js';
