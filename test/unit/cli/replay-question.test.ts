import { replayQuestion } from '../../../cli/commands/replay';
import type { ReplayPlan } from '../../../functions/replay/replay';

function plan(byTarget: Record<string, number>, notReplayable = 0): ReplayPlan {
  const matching = Object.values(byTarget).reduce((sum, count) => sum + count, 0) + notReplayable;
  return {
    queue: 'Concord-local-Stateful-ExceptionsQueue1A2B-Xy12',
    matching,
    byType: {},
    byError: {},
    entities: [],
    seenBefore: 0,
    notReplayable,
    byTarget,
  };
}

describe('replayQuestion', () => {
  it('names the count of replayable messages, the queue and their recorded targets', () => {
    // Act
    const question = replayQuestion(
      plan({ 'state machine OrderToCash': 10, 'delivery stream Warehouse': 2 }, 3),
      'concord-local',
    );

    // Assess
    expect(question).toBe(
      'Replay 12 messages from Concord-local-Stateful-ExceptionsQueue1A2B-Xy12 to their recorded targets?',
    );
  });

  it('names the bus when every message is re-published to it', () => {
    // Act
    const question = replayQuestion(plan({ 'bus concord-local (re-publish)': 1 }), 'concord-local');

    // Assess
    expect(question).toBe(
      'Replay 1 message from Concord-local-Stateful-ExceptionsQueue1A2B-Xy12 to the bus concord-local?',
    );
  });

  it('names both, and the replay it resumes', () => {
    // Act
    const question = replayQuestion(
      plan({ 'bus concord-local (re-publish)': 1, 'state machine OrderToCash': 1 }),
      'concord-local',
      '01JREPLAY',
    );

    // Assess
    expect(question).toBe(
      'Resume replay 01JREPLAY: replay 2 messages from Concord-local-Stateful-ExceptionsQueue1A2B-Xy12 to their recorded targets and the bus concord-local?',
    );
  });
});
