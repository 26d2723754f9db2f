/** A state machine's definition laid out top-down by BFS depth and drawn as inline SVG, with one execution's path. */

import { html } from 'hono/html';
import { ConcordError, type ConcordErrorOptions } from '../../../functions/shared/errors';
import type { Html } from '../layout';

/** One state of an Amazon States Language definition, as far as the graph needs it. */
export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next?: string }[];
  Catch?: { Next?: string; ErrorEquals?: string[] }[];
  /** A Parallel state's branches. */
  Branches?: AslDefinition[];
  /** A Map state's item processor (`Iterator` in older definitions). */
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
}

/** A definition (or a Parallel branch, or a Map's processor): where it starts and its states. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

/** A transition the definition allows. */
export interface StateEdge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'default' | 'catch';
}

/** A state's box: its layer (BFS depth from StartAt), place and size; a Parallel or Map lists its inner states. */
export interface StateNode {
  name: string;
  type: string;
  layer: number;
  /** Its place in its layer, from the left. */
  column: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** The states of each branch (one for a Map), in their order from the branch's StartAt. */
  branches: string[][];
}

/** A definition's boxes and edges, placed, and the size of the drawing. */
export interface StateMachineLayout {
  nodes: StateNode[];
  edges: StateEdge[];
  width: number;
  height: number;
}

/** What one execution did: the states it entered, the transitions it took, where it failed and where a Catch caught it. */
export interface ExecutionPath {
  visited: ReadonlySet<string>;
  /** `from→to` */
  edges: ReadonlySet<string>;
  /** States whose error ended the execution. */
  failed: ReadonlySet<string>;
  /** States that raised an error a Catch sent elsewhere. */
  caught: ReadonlySet<string>;
}

/** An ASL definition that cannot be drawn: no StartAt, or a transition to a state it does not have. */
export class InvalidDefinitionError extends ConcordError {
  override readonly name = 'InvalidDefinitionError';
  constructor(message: string, options?: ConcordErrorOptions) {
    super(message, options);
  }
}

const nodeWidth = 156;
const nodeHeight = 40;
const innerRowHeight = 17;
const innerColumnWidth = 150;
const gapX = 22;
/** The most boxes side by side: a wider layer (a Choice that fans out) wraps onto more rows. */
const maxPerRow = 5;
const gapY = 52;
const margin = 20;
/** Room on the right for the edges that go back up (loops). */
const loopLane = 70;

/** A transition's key in {@link ExecutionPath.edges}. */
export function edgeKey(from: string, to: string): string {
  return `${from}→${to}`;
}

/** Every transition a definition's top level allows, in the order the definition lists them. */
export function stateEdges(definition: AslDefinition): StateEdge[] {
  const edges: StateEdge[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    for (const choice of state.Choices ?? [])
      if (choice.Next) edges.push({ from: name, to: choice.Next, kind: 'choice' });
    if (state.Default) edges.push({ from: name, to: state.Default, kind: 'default' });
    if (state.Next) edges.push({ from: name, to: state.Next, kind: 'next' });
    for (const handler of state.Catch ?? [])
      if (handler.Next) edges.push({ from: name, to: handler.Next, kind: 'catch' });
  }
  for (const edge of edges)
    if (!(edge.to in definition.States))
      throw new InvalidDefinitionError(
        `state ${edge.from} goes to ${edge.to}, which the definition does not have`,
      );
  return edges;
}

/** A branch's states in BFS order from its StartAt (any unreachable ones after, in definition order). */
function bfsOrder(definition: AslDefinition): { order: string[]; depth: Map<string, number> } {
  if (!(definition.StartAt in (definition.States ?? {})))
    throw new InvalidDefinitionError(`StartAt ${definition.StartAt} is not one of the definition's states`);
  const edges = stateEdges(definition);
  const depth = new Map<string, number>([[definition.StartAt, 0]]);
  const order = [definition.StartAt];
  for (let index = 0; index < order.length; index += 1) {
    const from = order[index] as string;
    for (const edge of edges)
      if (edge.from === from && !depth.has(edge.to)) {
        depth.set(edge.to, (depth.get(from) ?? 0) + 1);
        order.push(edge.to);
      }
  }
  const deepest = Math.max(...depth.values());
  for (const name of Object.keys(definition.States))
    if (!depth.has(name)) {
      depth.set(name, deepest + 1);
      order.push(name);
    }
  return { order, depth };
}

/** The inner states of a Parallel (one list per branch) or a Map (one list). */
function innerBranches(state: AslState): string[][] {
  const branches = state.Branches ?? [state.ItemProcessor ?? state.Iterator].filter((b) => b !== undefined);
  return branches.map((branch) => bfsOrder(branch).order);
}

/**
 * Lays a definition out top-down: a state's layer is its BFS depth from StartAt, states in a layer go left to right
 * in the order BFS found them (at most {@link maxPerRow} a row: a wider layer wraps), each row is centred.
 * Deterministic: the same definition, the same drawing.
 */
export function layoutStateMachine(definition: AslDefinition): StateMachineLayout {
  const { order, depth } = bfsOrder(definition);
  const edges = stateEdges(definition);
  const layers: StateNode[][] = [];
  for (const name of order) {
    const state = definition.States[name] as AslState;
    const branches = innerBranches(state);
    const rows = Math.max(0, ...branches.map((branch) => branch.length));
    const node: StateNode = {
      name,
      type: state.Type,
      layer: depth.get(name) ?? 0,
      column: 0,
      x: 0,
      y: 0,
      width: branches.length ? Math.max(nodeWidth, branches.length * innerColumnWidth + 12) : nodeWidth,
      height: nodeHeight + (branches.length ? rows * innerRowHeight + 8 : 0),
      branches,
    };
    const row = layers[node.layer] ?? [];
    node.column = row.length;
    row.push(node);
    layers[node.layer] = row;
  }
  const rows = layers
    .filter(Boolean)
    .flatMap((layer) =>
      Array.from({ length: Math.ceil(layer.length / maxPerRow) }, (_, index) =>
        layer.slice(index * maxPerRow, (index + 1) * maxPerRow),
      ),
    );
  const rowWidth = (row: StateNode[]) =>
    row.reduce((sum, node) => sum + node.width, 0) + gapX * Math.max(0, row.length - 1);
  const widest = Math.max(...rows.map(rowWidth));
  let y = margin;
  for (const row of rows) {
    let x = margin + (widest - rowWidth(row)) / 2;
    for (const node of row) {
      node.x = x;
      node.y = y;
      x += node.width + gapX;
    }
    y += Math.max(...row.map((node) => node.height)) + gapY;
  }
  return {
    nodes: layers.flat().filter(Boolean),
    edges,
    width: widest + 2 * margin + loopLane,
    height: y - gapY + margin,
  };
}

/** The SVG path of an edge: down into the next layers, or out to the right and back up for a loop. */
function edgePath(from: StateNode, to: StateNode, lane: number): string {
  if (to.y > from.y) {
    const x1 = from.x + from.width / 2;
    const y1 = from.y + from.height;
    const x2 = to.x + to.width / 2;
    const y2 = to.y;
    const bend = (y2 - y1) / 2;
    return `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
  }
  if (to.y === from.y && Math.abs(to.column - from.column) === 1) {
    // Neighbours: straight across, side to side.
    const rightward = to.column > from.column;
    const y = from.y + Math.min(from.height, to.height) / 2;
    return `M${rightward ? from.x + from.width : from.x},${y} L${rightward ? to.x : to.x + to.width},${y}`;
  }
  if (to.y === from.y) {
    // Further along the same row: an arc over the boxes in between.
    const x1 = from.x + from.width / 2;
    const x2 = to.x + to.width / 2;
    const rise = 26 + lane / 2;
    return `M${x1},${from.y} C${x1},${from.y - rise} ${x2},${to.y - rise} ${x2},${to.y}`;
  }
  // Back up to an earlier layer: out to the right and round.
  const x1 = from.x + from.width;
  const y1 = from.y + from.height / 2;
  const x2 = to.x + to.width;
  const y2 = to.y + to.height / 2;
  const out = Math.max(x1, x2) + 24 + lane;
  return `M${x1},${y1} C${out},${y1} ${out},${y2} ${x2},${y2}`;
}

/** The longest name a box shows whole; longer ones are cut (the whole name is the box's tooltip). */
function clipped(name: string, chars: number): string {
  return name.length <= chars ? name : `${name.slice(0, chars - 1)}…`;
}

function stateClass(name: string, path: ExecutionPath | undefined, base: string): string {
  if (!path) return base;
  return [
    base,
    path.visited.has(name) ? 'visited' : 'unvisited',
    path.failed.has(name) ? 'failed' : '',
    path.caught.has(name) ? 'caught' : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * The layout as inline SVG: a box per state (its type under its name), an arrow per transition (dashed for a Catch),
 * the execution's states and transitions highlighted, failed and caught states marked. `link` names where a visited
 * state's box leads (its input and output); `id` keeps the arrowheads of several graphs on one page apart.
 */
export function renderStateMachineSvg(
  layout: StateMachineLayout,
  options: { id: string; path?: ExecutionPath; link?: (state: string) => string | undefined },
): Html {
  const { id, path, link } = options;
  const byName = new Map(layout.nodes.map((node) => [node.name, node]));
  let lanes = 0;
  const edges = layout.edges.map((edge) => {
    const from = byName.get(edge.from) as StateNode;
    const to = byName.get(edge.to) as StateNode;
    const loop = to.y < from.y || (to.y === from.y && Math.abs(to.column - from.column) > 1);
    const taken = path?.edges.has(edgeKey(edge.from, edge.to)) ?? false;
    const lane = loop ? (lanes++ % 4) * 10 : 0;
    return html`<path class="sm-edge ${edge.kind} ${taken ? 'taken' : ''}" d="${edgePath(from, to, lane)}"
      marker-end="url(#${id}-${taken ? 'taken' : 'arrow'})" data-edge="${edgeKey(edge.from, edge.to)}"><title>${edge.from} → ${edge.to} (${edge.kind})</title></path>`;
  });
  const box = (node: StateNode) => {
    const inner = node.branches.map((branch, column) =>
      branch.map((name, row) => {
        const x = node.x + 8 + column * innerColumnWidth;
        const y = node.y + nodeHeight + row * innerRowHeight;
        const text = html`<g class="${stateClass(name, path, 'sm-inner')}" data-state="${name}">
          <rect x="${x}" y="${y}" width="${innerColumnWidth - 6}" height="${innerRowHeight - 2}" rx="3"></rect>
          <text x="${x + 5}" y="${y + 11}">${clipped(name, 20)}</text><title>${name}</title></g>`;
        const href = path?.visited.has(name) ? link?.(name) : undefined;
        return href ? html`<a href="${href}">${text}</a>` : text;
      }),
    );
    const shape = html`<g class="${stateClass(node.name, path, `sm-state ${node.type.toLowerCase()}`)}" data-state="${node.name}">
      <rect x="${node.x}" y="${node.y}" width="${node.width}" height="${node.height}" rx="${node.type === 'Choice' ? 14 : 5}"></rect>
      <text class="sm-name" x="${node.x + node.width / 2}" y="${node.y + 17}" text-anchor="middle">${clipped(node.name, 24)}</text>
      <text class="sm-type" x="${node.x + node.width / 2}" y="${node.y + 31}" text-anchor="middle">${node.type}${path?.failed.has(node.name) ? ' · failed' : path?.caught.has(node.name) ? ' · caught' : ''}</text>
      <title>${node.name} (${node.type})</title>
    </g>`;
    const href = path?.visited.has(node.name) ? link?.(node.name) : undefined;
    return html`${href ? html`<a href="${href}">${shape}</a>` : shape}${inner}`;
  };
  return html`<svg class="state-machine" id="${id}" xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}"
    viewBox="0 0 ${layout.width} ${layout.height}" role="img">
    <defs>
      <marker id="${id}-arrow" class="sm-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"></path></marker>
      <marker id="${id}-taken" class="sm-arrow taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"></path></marker>
    </defs>
    ${edges} ${layout.nodes.map(box)}
  </svg>`;
}
