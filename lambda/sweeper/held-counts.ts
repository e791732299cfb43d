import type { Alert } from '../core/alert';
import { decideRepeat } from '../core/repeat-decision';
import type { PipelineSettings } from '../core/settings';
import { flushHeldReveals, RevealWindowCodec, revealWindowSubject } from '../api-calls/reveal-window';
import { flushHeldRecurrences, policyAckSubject, PolicyFindingCodec, policyFindingId, policyFindingSubject } from '../findings/policy-finding';
import type { PipelineDeps } from '../pipeline-deps';
import { acknowledger, describeAck } from '../silences/ack';
import { ackSource, silenceSource } from '../silences/cache';
import { silencedCounts, silencer, type SilenceSubject } from '../silences/silence';
import { withIds, type Bookkeeping, type ItemCodec } from '../state/codec';
import { unchangedSince } from '../state/store';
import { expiresAt, GSI1 } from '../state/table';
import { applyDecision, checkEach, isKeyed, type CheckResult } from './decision';

/**
 * Counts the pipelines held back inside a repeat window, reported once the window has passed with no later
 * event to carry them: a policy finding's recurrences ("recurred 3 more times since the last alert") and a
 * principal's reveals ("2 more reveals since the last alert"). Each item with a held count is listed in a
 * sparse index partition by the end of its window, so a sweep costs one Query per kind and a write per item
 * due, nothing for the rest.
 *
 * Exactly once: the flush writes the item (its held count now reported, its index keys gone) and the alert
 * in one write conditional on the item's version. A second sweep, or the pipeline applying a new event of the
 * same finding or principal at the same moment, writes the same item conditional on the same version: one of
 * them wins, and the other reads again and finds nothing held (the sweep) or folds its event onto the
 * flushed state, a fresh count (the pipeline). Never both, never neither.
 */

/** One kind of held count: where its items are listed, their codec, and the room's pure flush. */
interface HeldKind<S extends Bookkeeping> {
  readonly partition: (typeof GSI1)['heldRecurrence' | 'heldReveals'];
  readonly codec: ItemCodec<S>;
  readonly flush: (
    state: S,
    ctx: { readonly settings: PipelineSettings; readonly region: string; readonly now: Date },
  ) => { readonly state: S; readonly alert?: Alert } | undefined;
  /** What silences are asked about the flush: a silence matching the latest held event silences it too. */
  readonly subject: (state: S) => SilenceSubject;
  /** What acknowledgements are asked about a flush (ackSubject's form), for kinds whose alerts can be acknowledged. */
  readonly ackSubject?: (state: S) => string;
}

export async function flushHeldCounts(deps: PipelineDeps): Promise<CheckResult> {
  const result: CheckResult = { raised: [], failures: [] };
  await flushKind(
    deps,
    {
      partition: GSI1.heldRecurrence,
      codec: PolicyFindingCodec,
      flush: flushHeldRecurrences,
      subject: policyFindingSubject,
      ackSubject: (p) => policyAckSubject(policyFindingId(p)),
    },
    result,
  );
  await flushKind(deps, { partition: GSI1.heldReveals, codec: RevealWindowCodec, flush: flushHeldReveals, subject: revealWindowSubject }, result);
  return result;
}

async function flushKind<S extends Bookkeeping>(deps: PipelineDeps, kind: HeldKind<S>, into: CheckResult): Promise<void> {
  const due = (await deps.store.listIndex(kind.partition, deps.now().toISOString())).filter(isKeyed);
  if (due.length === 0) return;
  deps.telemetry.info('sweeper: flushing held counts', { partition: kind.partition, due: due.length });
  const silenceOf = silencer(await silenceSource(deps).list());
  const acks = acknowledger(kind.ackSubject ? await ackSource(deps).list() : []);
  const entries = due.map((listed) => ({ owner: { pk: listed.pk, sk: listed.sk }, listed }));
  await checkEach(
    entries,
    ({ owner, listed }) =>
      applyDecision(deps, owner, listed, async (item, now) => {
        const state = kind.codec.decode(item);
        const step = kind.flush(state, { settings: deps.settings, region: deps.region, now });
        if (!step) return undefined;
        // Acknowledged: nothing is written, so the count stays held and the first sweep after the end reports it.
        const { ackSubject } = kind;
        const repeat = decideRepeat({
          alerted: true,
          dueAt: now.getTime(),
          at: now.getTime(),
          ackAt: step.alert && ackSubject ? (at) => acks.subject(ackSubject(state), at) : undefined,
        });
        if (repeat.ack) {
          deps.telemetry.info('sweeper: held count kept by an acknowledgement', { pk: owner.pk, reason: describeAck(repeat.ack) });
          return undefined;
        }
        // Silenced: the count is reported as done, without an alert. Otherwise the alert says what silences
        // kept back before it, as every alert of an aggregate does.
        const alert = step.alert && !silenceOf(kind.subject(state)) ? step.alert : undefined;
        return {
          alerts: alert ? [state.silenced ? { ...alert, silenced: silencedCounts(state.silenced) } : alert] : [],
          writes: (ids) => [
            {
              kind: 'put',
              item: kind.codec.encode({
                ...step.state,
                version: (state.version ?? 0) + 1,
                pendingAlerts: withIds(state.pendingAlerts, ids),
                expiresAt: expiresAt(now, deps.settings.stateRetentionDays),
              }),
              condition: unchangedSince(item),
            },
          ],
        };
      }),
    into,
  );
}
