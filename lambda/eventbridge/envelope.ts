import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini ships without messages (every issue reads "Invalid input"): the English locale gives the reasons
// logged for a malformed event their detail. Idempotent and global; job-log/log-events.ts does the same.
z.config(en());

/**
 * The fields of an EventBridge event, with the rules of Powertools' EventBridgeSchema (which we no longer
 * import: it is built on zod classic, most of a handler's bundle; see job-log/log-events.ts). Spread it into
 * z.object with the event's own `detail` schema: the spread keeps the key order, so issues come in the same order.
 */
export const EventBridgeEnvelopeShape = {
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  // Powertools' rule, kept: UTC ("Z") only, as EventBridge writes it.
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
};
