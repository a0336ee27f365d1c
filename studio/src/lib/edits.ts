// The canvas's and the flow list's edits, as pure functions of the bot JSON.
import { clickables, conditionForButton, findFlow, findNode, newFlow, nextId, waitingNodeAfter, whereKey } from "./model";
import { mapFlow } from "./store";
import type { Bot, BotNode, Edge, Flow, Id, Json } from "./types";
import { sameId } from "./types";
import { t } from "./i18n";

export function withDesign(node: BotNode, x: number, y: number): BotNode {
  const design = { x: Math.round(x), y: Math.round(y) };
  const old = node.meta?.design;
  if (old && old.x === design.x && old.y === design.y) return node;
  return { ...node, meta: { ...(node.meta ?? {}), design: { ...(old ?? {}), ...design } } };
}

export function setPositions(bot: Bot, flowId: Id, positions: Map<string, { x: number; y: number }>): Bot {
  return mapFlow(bot, flowId, (flow) => {
    let changed = false;
    const nodes = flow.nodes.map((node) => {
      const p = positions.get(String(node.id));
      if (!p) return node;
      const next = withDesign(node, p.x, p.y);
      if (next !== node) changed = true;
      return next;
    });
    return changed ? { ...flow, nodes } : flow;
  });
}

export function addNode(bot: Bot, flowId: Id, node: BotNode): Bot {
  return mapFlow(bot, flowId, (flow) => ({ ...flow, nodes: [...flow.nodes, node] }));
}

/** Removes nodes (never the entry) and edges (`<nodeId>#<index>`), and the edges into removed nodes. */
export function removeElements(bot: Bot, flowId: Id, nodeIds: string[], edgeIds: string[]): Bot {
  return mapFlow(bot, flowId, (flow) => {
    const gone = new Set(nodeIds.filter((id) => findNode(flow, id)?.type !== "entry"));
    const edgesGone = new Map<string, Set<number>>();
    for (const edgeId of edgeIds) {
      const [owner, index] = splitEdgeId(edgeId);
      if (!edgesGone.has(owner)) edgesGone.set(owner, new Set());
      edgesGone.get(owner)!.add(index);
    }
    if (!gone.size && !edgesGone.size) return flow;
    const nodes = flow.nodes
      .filter((node) => !gone.has(String(node.id)))
      .map((node) => {
        const drop = edgesGone.get(String(node.id));
        const next = node.next ?? [];
        const kept = next.filter((edge, i) => !drop?.has(i) && !gone.has(String(edge.nodeId)));
        return kept.length === next.length ? node : { ...node, next: kept };
      });
    return { ...flow, nodes };
  });
}

export function splitEdgeId(edgeId: string): [string, number] {
  const at = edgeId.lastIndexOf("#");
  return [edgeId.slice(0, at), Number(edgeId.slice(at + 1))];
}

export function addEdge(bot: Bot, flowId: Id, fromId: Id, edge: Edge): Bot {
  return mapFlow(bot, flowId, (flow) => ({
    ...flow,
    nodes: flow.nodes.map((node) => (sameId(node.id, fromId) ? { ...node, next: [...(node.next ?? []), edge] } : node)),
  }));
}

export interface ConnectResult {
  bot: Bot;
  note?: string;
}

/**
 * An edge drawn on the canvas. From the node's own handle: an unconditional
 * edge. From a quick reply's handle: an edge of that keyboard node with the
 * reply's condition. From a message button's handle: the click arrives while
 * the conversation waits at the keyboard node after the message, so the edge
 * goes there (a keyboard node is added when the message has none after it).
 */
export function connect(bot: Bot, flowId: Id, source: string, handle: string | null | undefined, target: string): ConnectResult {
  const flow = findFlow(bot, flowId);
  const from = flow && findNode(flow, source);
  if (!flow || !from || !findNode(flow, target)) return { bot };
  const click = handle && handle !== "out" ? clickables(from).find((c) => c.handle === handle) : undefined;
  if (!click) return { bot: addEdge(bot, flowId, from.id, { nodeId: idOf(flow, target) }) };
  const where = conditionForButton(click);
  if (click.kind === "quick") return { bot: addEdge(bot, flowId, from.id, { nodeId: idOf(flow, target), where }) };
  let waiting = waitingNodeAfter(flow, from);
  let next = bot;
  let note: string | undefined;
  if (!waiting) {
    if ((from.next ?? []).length) {
      return { bot, note: t("edit.notKeyboard") };
    }
    const design = from.meta?.design;
    waiting = {
      id: nextId(flow.nodes),
      type: "keyboard",
      label: t("edit.waitLabel"),
      data: { type: "any" },
      next: [],
      meta: { design: { x: Math.round((design?.x ?? 0) + 280), y: Math.round(design?.y ?? 0) } },
    };
    next = addNode(next, flowId, waiting);
    next = addEdge(next, flowId, from.id, { nodeId: waiting.id });
    note = t("edit.addedKeyboard", { id: String(waiting.id) });
  }
  const existing = (waiting.next ?? []).some((edge) => whereKey(edge.where) === whereKey(where) && sameId(edge.nodeId, target));
  if (!existing) next = addEdge(next, flowId, waiting.id, { nodeId: idOf(flow, target), where });
  return { bot: next, note };
}

function idOf(flow: Flow, id: string): Id {
  return findNode(flow, id)?.id ?? id;
}

/** Pasted nodes: new ids, their edges among themselves kept, edges to other nodes dropped. */
export function pasteNodes(bot: Bot, flowId: Id, nodes: BotNode[], offset = 40): { bot: Bot; ids: string[] } {
  const flow = findFlow(bot, flowId);
  if (!flow) return { bot, ids: [] };
  let id = nextId(flow.nodes);
  const map = new Map<string, Id>();
  const copies = nodes.filter((node) => node.type !== "entry");
  for (const node of copies) map.set(String(node.id), id++);
  const pasted = copies.map((node): BotNode => {
    const copy = structuredClone(node);
    copy.id = map.get(String(node.id))!;
    copy.next = (node.next ?? []).filter((edge) => map.has(String(edge.nodeId))).map((edge) => ({ ...structuredClone(edge), nodeId: map.get(String(edge.nodeId))! }));
    const design = node.meta?.design ?? { x: 0, y: 0 };
    return withDesign(copy, design.x + offset, design.y + offset);
  });
  return { bot: mapFlow(bot, flowId, (f) => ({ ...f, nodes: [...f.nodes, ...pasted] })), ids: pasted.map((node) => String(node.id)) };
}

// --- flows ----------------------------------------------------------------------

function setPreference(bot: Bot, key: "entryFlowId" | "fallbackFlowId", value: Id): Bot {
  return { ...bot, preference: { ...(bot.preference ?? {}), [key]: value } };
}

export const setStartFlow = (bot: Bot, flowId: Id) => setPreference(bot, "entryFlowId", flowId);
export const setFallbackFlow = (bot: Bot, flowId: Id) => setPreference(bot, "fallbackFlowId", flowId);

export function createFlow(bot: Bot, title: string): { bot: Bot; flow: Flow } {
  const flow = newFlow(bot, title);
  return { bot: { ...bot, flows: [...bot.flows, flow] }, flow };
}

export function renameFlow(bot: Bot, flowId: Id, title: string): Bot {
  return mapFlow(bot, flowId, (flow) => (flow.title === title ? flow : { ...flow, title }));
}

export function duplicateFlow(bot: Bot, flowId: Id): { bot: Bot; flow?: Flow } {
  const index = bot.flows.findIndex((flow) => sameId(flow.id, flowId));
  if (index < 0) return { bot };
  const copy: Flow = { ...structuredClone(bot.flows[index]), id: nextId(bot.flows) };
  copy.title = t("edit.copyTitle", { title: bot.flows[index].title ?? t("common.flowTitle", { id: String(flowId) }) });
  const flows = [...bot.flows];
  flows.splice(index + 1, 0, copy);
  return { bot: { ...bot, flows }, flow: copy };
}

export function deleteFlow(bot: Bot, flowId: Id): { bot: Bot; refused?: string } {
  if (bot.flows.length <= 1) return { bot, refused: t("edit.oneFlow") };
  const pref = bot.preference ?? {};
  if (sameId(pref.entryFlowId, flowId)) return { bot, refused: t("edit.isStart") };
  if (sameId(pref.fallbackFlowId, flowId)) return { bot, refused: t("edit.isFallback") };
  return { bot: { ...bot, flows: bot.flows.filter((flow) => !sameId(flow.id, flowId)) } };
}

/**
 * A flow file or a whole bot's flows added to the draft: an id the bot already
 * has gets the next free one, and flow nodes and goto buttons of the imported
 * flows that named it follow.
 */
export function importFlows(bot: Bot, data: unknown): { bot: Bot; imported: { from: Id; as: Id }[] } {
  const incoming: Flow[] = isObject(data) && Array.isArray(data.flows) ? (data.flows as Flow[]) : isObject(data) && Array.isArray(data.nodes) ? [data as unknown as Flow] : [];
  if (!incoming.length) throw new Error(t("edit.notFlowFile"));
  const taken = [...bot.flows];
  const rename = new Map<string, Id>();
  const imported: { from: Id; as: Id }[] = [];
  for (const flow of incoming) {
    let id: Id = flow.id;
    if (taken.some((f) => sameId(f.id, id))) id = nextId(taken);
    rename.set(String(flow.id), id);
    taken.push({ ...flow, id });
    imported.push({ from: flow.id, as: id });
  }
  const flows = incoming.map((flow) => retarget({ ...structuredClone(flow), id: rename.get(String(flow.id))! }, rename));
  return { bot: { ...bot, flows: [...bot.flows, ...flows] }, imported };
}

function retarget(flow: Flow, rename: Map<string, Id>): Flow {
  const fix = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fix);
    if (isObject(value)) {
      const out: Json = {};
      for (const [key, v] of Object.entries(value)) {
        out[key] = key === "flowId" && (typeof v === "number" || typeof v === "string") && rename.has(String(v)) ? rename.get(String(v)) : fix(v);
      }
      return out;
    }
    return value;
  };
  return { ...flow, nodes: flow.nodes.map((node) => ({ ...node, data: fix(node.data) as Json })) };
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Form values merged into the original data: key order kept, untouched empty fields left out. */
export function mergeEdit(original: unknown, values: unknown): unknown {
  if (Array.isArray(values)) return values.map((value, i) => mergeEdit(Array.isArray(original) ? original[i] : undefined, value));
  if (isObject(values)) {
    const base = isObject(original) ? original : {};
    const out: Json = {};
    const keys = [...Object.keys(base), ...Object.keys(values).filter((key) => !(key in base))];
    for (const key of keys) {
      if (!(key in values)) {
        out[key] = base[key];
        continue;
      }
      const value = mergeEdit(base[key], values[key]);
      if (value === undefined || (typeof value === "number" && Number.isNaN(value))) continue;
      // a field the form shows but the node did not have, left empty: not added
      if (!(key in base) && (value === "" || value === null || (Array.isArray(value) && !value.length) || (isObject(value) && !Object.keys(value).length))) continue;
      out[key] = value;
    }
    return out;
  }
  return values;
}
