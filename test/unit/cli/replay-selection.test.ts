/** `concord replay`'s selection: the filter given, or a resumed replay's own, and a clear refusal of an unknown one. */
import { replaySelection } from '../../../cli/commands/replay';
import type { AuditJournal, AuditRecord } from '../../../functions/replay/ports';
import { ReplayNotFoundError } from '../../../functions/replay/replay';

const interrupted: AuditRecord = {
  id: '01JD00000000000000000REPLAY',
  action: 'replay',
  operator: 'ops-jane',
  reason: 'INC-42 ERP outage',
  queue: 'Concord-local-Stateful-ExceptionsQueue1A2B-Xy12',
  at: '2026-11-30T01:00:00.000Z',
  status: 'interrupted',
  detail: { filter: { error: 'ErpUnavailableError', type: 'commerce.order.*' } },
};

/** An audit holding the given records, counting its look-ups. */
function journalOf(...records: AuditRecord[]): Pick<AuditJournal, 'find'> & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    find: async (id) => {
      lookups.push(id);
      return records.find((record) => record.id === id);
    },
  };
}

describe('replaySelection', () => {
  it('takes the selection of the replay it resumes when no filter is given', async () => {
    // Prepare
    const journal = journalOf(interrupted);
    // Act
    const selection = await replaySelection(journal, {}, interrupted.id);
    // Assess
    expect(selection).toEqual({ error: 'ErpUnavailableError', type: 'commerce.order.*' });
  });

  it('keeps the filter given, and reads no audit when nothing is resumed', async () => {
    // Prepare
    const journal = journalOf(interrupted);
    // Act
    const resumed = await replaySelection(journal, { entity: 'order/1001' }, interrupted.id);
    const fresh = await replaySelection(journal, { entity: 'order/1002' });
    // Assess
    expect(resumed).toEqual({ entity: 'order/1001' });
    expect(fresh).toEqual({ entity: 'order/1002' });
    expect(journal.lookups).toEqual([interrupted.id]);
  });

  it('rejects resuming a replay the audit does not hold with ReplayNotFoundError naming it', async () => {
    // Prepare
    const journal = journalOf(interrupted);
    // Act
    const failure = replaySelection(journal, {}, '01JD0000000000000000MISSING');
    // Assess
    await expect(failure).rejects.toThrow(ReplayNotFoundError);
    await expect(failure).rejects.toMatchObject({
      name: 'ReplayNotFoundError',
      replayId: '01JD0000000000000000MISSING',
      message: 'no replay 01JD0000000000000000MISSING in the audit',
    });
  });
});
