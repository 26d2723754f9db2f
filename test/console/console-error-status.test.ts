import { CrossSiteRequestError, consoleErrorStatus } from '../../console/server/app';
import { ConsoleInputError, ConsoleNotFoundError } from '../../console/server/console-page';
import { OverviewWindowError, parseOverviewWindow } from '../../console/server/overview/read-overview';
import { QueueNotFoundError } from '../../functions/replay/replay';
import { namedWindow } from '../../functions/shared/ops/time-window';

describe('consoleErrorStatus', () => {
  it('answers the operator’s mistakes with a 4xx, each from the one table', () => {
    // Prepare
    const unknownWindow = (() => {
      try {
        parseOverviewWindow('2y');
      } catch (error) {
        return error as Error;
      }
      throw new Error('parseOverviewWindow accepted 2y');
    })();
    const badWindow = (() => {
      try {
        namedWindow({ date: 'tomorrow' });
      } catch (error) {
        return error as Error;
      }
      throw new Error('namedWindow accepted tomorrow');
    })();
    // Act
    const statuses = {
      crossSite: consoleErrorStatus(new CrossSiteRequestError('Refused a cross-site POST')),
      input: consoleErrorStatus(new ConsoleInputError('A note needs text.')),
      unknownWindow: consoleErrorStatus(unknownWindow),
      badWindow: consoleErrorStatus(badWindow),
      notFound: consoleErrorStatus(new ConsoleNotFoundError('no replay run r-1')),
      queue: consoleErrorStatus(new QueueNotFoundError('NoSuchQueue')),
    };
    // Assess
    expect(unknownWindow).toBeInstanceOf(OverviewWindowError);
    expect(statuses).toEqual({
      crossSite: 403,
      input: 400,
      unknownWindow: 400,
      badWindow: 400,
      notFound: 404,
      queue: 404,
    });
  });

  it('answers any other failure with 500', () => {
    // Act
    const statuses = [new Error('socket hang up'), new TypeError('x is undefined')].map(consoleErrorStatus);
    // Assess
    expect(statuses).toEqual([500, 500]);
  });
});
