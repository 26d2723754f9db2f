import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import {
  type AslDefinition,
  edgeKey,
  InvalidDefinitionError,
  layoutStateMachine,
  renderStateMachineSvg,
} from '../../console/server/transaction/state-machine-graph';
import { shownStepData } from '../../console/server/transaction/step-data';
import { executionPath, workflowName } from '../../console/server/transaction/workflow-executions';

const dir = path.join(__dirname, '../../statemachines');
const definitions = readdirSync(dir)
  .filter((file) => file.endsWith('.asl.json'))
  .map((file) => [file, JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as AslDefinition] as const);
const orderToCash = definitions.find(([file]) => file === 'order-to-cash.asl.json')?.[1] as AslDefinition;

function overlaps(a: { x: number; y: number; width: number; height: number }, b: typeof a): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

let eventId = 0;
function entered(type: string, name: string, input: unknown = {}): HistoryEvent {
  eventId += 1;
  return {
    id: eventId,
    type: `${type}StateEntered` as HistoryEvent['type'],
    timestamp: new Date(1_800_000_000_000 + eventId * 1000),
    stateEnteredEventDetails: { name, input: JSON.stringify(input) },
  };
}
function exited(type: string, name: string, output: unknown = {}): HistoryEvent {
  eventId += 1;
  return {
    id: eventId,
    type: `${type}StateExited` as HistoryEvent['type'],
    timestamp: new Date(1_800_000_000_000 + eventId * 1000),
    stateExitedEventDetails: { name, output: JSON.stringify(output) },
  };
}
function event(type: string, details: Partial<HistoryEvent> = {}): HistoryEvent {
  eventId += 1;
  return {
    id: eventId,
    type: type as HistoryEvent['type'],
    timestamp: new Date(1_800_000_000_000 + eventId * 1000),
    ...details,
  };
}

describe('layoutStateMachine', () => {
  it.each(definitions)(
    'places every state of %s once, in layers by BFS depth, at most five a row, without overlaps',
    (_, definition) => {
      // Act
      const layout = layoutStateMachine(definition);
      // Assess
      expect(layout.nodes.map((node) => node.name).sort()).toEqual(Object.keys(definition.States).sort());
      const start = layout.nodes.find((node) => node.name === definition.StartAt);
      expect(start?.layer).toBe(0);
      for (const edge of layout.edges) {
        const from = layout.nodes.find((node) => node.name === edge.from);
        const to = layout.nodes.find((node) => node.name === edge.to);
        // BFS depth: a transition never skips down more than one layer below the shallowest way in.
        expect(to?.layer).toBeLessThanOrEqual((from?.layer ?? 0) + 1);
      }
      for (const [index, a] of layout.nodes.entries())
        for (const b of layout.nodes.slice(index + 1)) expect(overlaps(a, b)).toBe(false);
      const perRow = new Map<number, number>();
      for (const node of layout.nodes) perRow.set(node.y, (perRow.get(node.y) ?? 0) + 1);
      expect(Math.max(...perRow.values())).toBeLessThanOrEqual(5);
      for (const node of layout.nodes) {
        expect(node.x + node.width).toBeLessThanOrEqual(layout.width);
        expect(node.y + node.height).toBeLessThanOrEqual(layout.height);
      }
    },
  );

  it('lays the same definition out the same way every time', () => {
    // Act
    const first = layoutStateMachine(orderToCash);
    const second = layoutStateMachine(structuredClone(orderToCash));
    // Assess
    expect(second).toEqual(first);
  });

  it('puts the states a Choice leads to one layer down, left to right in the order of its choices', () => {
    // Act
    const layout = layoutStateMachine(orderToCash);
    // Assess
    const layerOne = layout.nodes.filter((node) => node.layer === 1);
    expect(layerOne.map((node) => node.name)).toEqual([
      'Resume',
      'Init',
      'InitRelease',
      'InitAmend',
      'InitCancel',
      'UnknownEvent',
    ]);
    const [firstRow, secondRow] = [layerOne.slice(0, 5), layerOne.slice(5)];
    expect(firstRow.map((node) => node.x)).toEqual(firstRow.map((node) => node.x).sort((a, b) => a - b));
    expect(new Set(firstRow.map((node) => node.y)).size).toBe(1);
    // Six are more than a row holds: the sixth wraps below, still above the next layer.
    expect(secondRow[0]?.y).toBeGreaterThan(firstRow[0]?.y ?? 0);
    const layerTwo = layout.nodes.filter((node) => node.layer === 2);
    expect(Math.min(...layerTwo.map((node) => node.y))).toBeGreaterThan(secondRow[0]?.y ?? 0);
    expect(layout.edges).toContainEqual({ from: 'Gate', to: 'ToExceptions', kind: 'catch' });
  });

  it('draws a Parallel state as one box listing its branches, and a Map its processor', () => {
    // Prepare
    const definition: AslDefinition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A1', States: { A1: { Type: 'Pass', Next: 'A2' }, A2: { Type: 'Pass', End: true } } },
            { StartAt: 'B1', States: { B1: { Type: 'Pass', End: true } } },
          ],
          Next: 'Each',
        },
        Each: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    };
    // Act
    const layout = layoutStateMachine(definition);
    // Assess
    expect(layout.nodes.map((node) => [node.name, node.layer, node.branches])).toEqual([
      ['Fan', 0, [['A1', 'A2'], ['B1']]],
      ['Each', 1, [['Item']]],
    ]);
    const [fan, each] = layout.nodes;
    expect(fan?.height).toBeGreaterThan(each?.height ?? 0);
  });

  it('rejects a definition with a transition to a state it does not have', () => {
    // Prepare
    const definition: AslDefinition = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } };
    // Act
    const act = () => layoutStateMachine(definition);
    // Assess
    expect(act).toThrow(InvalidDefinitionError);
    expect(act).toThrow('state A goes to Nowhere');
  });
});

describe('executionPath', () => {
  it('reads the states entered, the transitions taken and each step input and output (HappyPath)', () => {
    // Prepare
    const events = [
      event('ExecutionStarted'),
      entered('Choice', 'Route', { a: 1 }),
      exited('Choice', 'Route', { a: 1 }),
      entered('Pass', 'Init'),
      exited('Pass', 'Init'),
      entered('Task', 'Gate', { gate: 'in' }),
      event('TaskScheduled'),
      event('TaskSucceeded'),
      exited('Task', 'Gate', { gate: 'out' }),
      event('ExecutionSucceeded'),
    ];
    // Act
    const { steps, path } = executionPath(orderToCash, events);
    // Assess
    expect(steps.map((step) => step.state)).toEqual(['Route', 'Init', 'Gate']);
    expect(steps[2]).toMatchObject({ type: 'Task', input: '{"gate":"in"}', output: '{"gate":"out"}' });
    expect([...path.edges]).toEqual([edgeKey('Route', 'Init'), edgeKey('Init', 'Gate')]);
    expect(path.failed.size + path.caught.size).toBe(0);
  });

  it.each([
    ['exits the caught state', true],
    ['enters the Catch target straight away', false],
  ])(
    'marks a step whose error a Catch took elsewhere as caught and the Fail state that ended it as failed (a history that %s)',
    (_, exits) => {
      // Prepare
      const events = [
        entered('Choice', 'Route'),
        exited('Choice', 'Route'),
        entered('Pass', 'Init'),
        exited('Pass', 'Init'),
        entered('Task', 'Gate'),
        event('TaskFailed', {
          taskFailedEventDetails: {
            resourceType: 'lambda',
            resource: 'invoke',
            error: 'ErpRefusedError',
            cause: 'no stock',
          },
        }),
        ...(exits ? [exited('Task', 'Gate', { failure: 'ErpRefusedError' })] : []),
        entered('Task', 'ToExceptions'),
        exited('Task', 'ToExceptions'),
        entered('Fail', 'Failed'),
        event('ExecutionFailed', {
          executionFailedEventDetails: { error: 'ErpRefusedError', cause: 'no stock' },
        }),
      ];
      const definition: AslDefinition = structuredClone(orderToCash);
      definition.States.ToExceptions = { Type: 'Task', Next: 'Failed' };
      definition.States.Failed = { Type: 'Fail' };
      // Act
      const { steps, path } = executionPath(definition, events);
      // Assess
      expect([...path.caught]).toEqual(['Gate']);
      expect([...path.failed]).toEqual(['Failed']);
      expect(steps.find((step) => step.state === 'Gate')).toMatchObject({
        error: 'ErpRefusedError',
        cause: 'no stock',
      });
      expect(path.edges.has(edgeKey('Gate', 'ToExceptions'))).toBe(true);
    },
  );

  it('marks the step that raised the error that ended the execution as failed, and a retried one as neither', () => {
    // Prepare
    const definition: AslDefinition = {
      StartAt: 'Flaky',
      States: { Flaky: { Type: 'Task', Next: 'Broken' }, Broken: { Type: 'Task', End: true } },
    };
    const events = [
      entered('Task', 'Flaky'),
      event('TaskFailed', {
        taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'ErpThrottledError' },
      }),
      event('TaskSucceeded'),
      exited('Task', 'Flaky'),
      entered('Task', 'Broken'),
      event('TaskFailed', {
        taskFailedEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          error: 'ErpUnavailableError',
          cause: 'down',
        },
      }),
      event('ExecutionFailed', { executionFailedEventDetails: { error: 'ErpUnavailableError' } }),
    ];
    // Act
    const { path } = executionPath(definition, events);
    // Assess
    expect([...path.failed]).toEqual(['Broken']);
    expect([...path.caught]).toEqual([]);
    expect([...path.visited]).toEqual(['Flaky', 'Broken']);
  });
});

describe('renderStateMachineSvg', () => {
  it('highlights the visited states and taken transitions and links each visited state to its detail', async () => {
    // Prepare
    const layout = layoutStateMachine(orderToCash);
    const path = {
      visited: new Set(['Route', 'Init']),
      edges: new Set([edgeKey('Route', 'Init')]),
      failed: new Set<string>(),
      caught: new Set<string>(),
    };
    // Act
    const svg = String(
      await renderStateMachineSvg(layout, { id: 'g0', path, link: (state) => `#g0-${state}` }),
    );
    // Assess
    expect(svg).toContain('<a href="#g0-Init"><g class="sm-state pass visited" data-state="Init">');
    expect(svg).toMatch(/<g class="sm-state task unvisited" data-state="Gate">/);
    expect(svg).toMatch(
      /class="sm-edge choice taken"[^>]*marker-end="url\(#g0-taken\)" data-edge="Route→Init"/,
    );
    expect(svg).not.toContain('href="#g0-Gate"');
    expect(svg.match(/data-state="/g)?.length).toBe(Object.keys(orderToCash.States).length);
  });
});

describe('shownStepData', () => {
  it('hashes the personal fields of step data unless revealed, keeping the rest readable', () => {
    // Prepare
    const text = JSON.stringify({
      order: { customer: { email: 'jane@example.com', sourceCustomerId: '7' } },
      total: '9.00',
    });
    // Act
    const hidden = JSON.parse(shownStepData(text, false));
    const shown = JSON.parse(shownStepData(text, true));
    // Assess
    expect(hidden.order.customer.email).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(hidden.order.customer.sourceCustomerId).toBe('7');
    expect(hidden.total).toBe('9.00');
    expect(shown.order.customer.email).toBe('jane@example.com');
  });
});

describe('workflowName', () => {
  it('names a generated state machine name by its construct', () => {
    // Act
    const name = workflowName('OrderToCashStateMachine2EC2AF65-43SK616VTJ9O');
    // Assess
    expect(name).toBe('OrderToCash');
  });
});
