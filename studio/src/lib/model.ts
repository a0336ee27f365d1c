// Pure helpers on the bot JSON: lookups, new ids, new nodes, the condition a
// button implies, short summaries, the editor's own warnings.
import type { Bot, BotNode, Button, Card, Edge, Flow, Id, Json, Message, QuickReply, Where } from "./types";
import { sameId } from "./types";
import { hasKey, t } from "./i18n";

export function findFlow(bot: Bot, flowId: Id): Flow | undefined {
  return bot.flows.find((flow) => sameId(flow.id, flowId));
}

export function findNode(flow: Flow, nodeId: Id): BotNode | undefined {
  return flow.nodes.find((node) => sameId(node.id, nodeId));
}

export function startFlowId(bot: Bot): Id | undefined {
  const wanted = bot.preference?.entryFlowId;
  if (wanted !== undefined && wanted !== null && findFlow(bot, wanted)) return wanted;
  return bot.flows[0]?.id;
}

export function fallbackFlowId(bot: Bot): Id | undefined {
  const wanted = bot.preference?.fallbackFlowId;
  if (wanted !== undefined && wanted !== null && findFlow(bot, wanted)) return wanted;
  return startFlowId(bot);
}

/** The next free id: integers when the existing ids are (CLOSER's), else too. */
export function nextId(items: { id: Id }[]): number {
  let most = 0;
  for (const item of items) {
    const n = Number(item.id);
    if (Number.isInteger(n) && n > most) most = n;
  }
  return most + 1;
}

export function defaultData(type: string): Json {
  switch (type) {
    case "entry":
      return {};
    case "response":
      return { message: { type: "text", text: "" } };
    case "keyboard":
      return { type: "any" };
    case "flow":
      return { flowId: "" };
    case "parameter":
      return { type: "set", params: [{ key: "name", value: "" }] };
    case "fetch":
      return { uri: "https://", method: "GET" };
    case "sandbox":
      return { runtime: "nodejs", script: "module.exports = async (context) => ({});\n" };
    case "back":
      return { operation: "pop", count: 1 };
    case "manual":
      return { messages: "" };
    default:
      return {};
  }
}

/** A node type's name in the current language (CLOSER's names in Korean). */
export function typeLabel(type: string): string {
  const key = `type.${type}`;
  return hasKey(key) ? t(key) : type;
}

export function newNode(flow: Flow, type: string, position: { x: number; y: number }): BotNode {
  return {
    id: nextId(flow.nodes),
    type,
    label: typeLabel(type),
    data: defaultData(type),
    next: [],
    meta: { design: { x: Math.round(position.x), y: Math.round(position.y) } },
  };
}

export function newFlow(bot: Bot, title: string): Flow {
  return {
    id: nextId(bot.flows),
    title,
    data: { entry: 1 },
    nodes: [{ id: 1, type: "entry", data: {}, next: [], meta: { design: { x: 24, y: 24 } } }],
  };
}

/** The payload of a button read as the engine reads it: JSON when it parses. */
export function parsedPayload(payload: unknown): unknown {
  if (typeof payload !== "string") return payload;
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

/**
 * The condition that takes a click on `button`: on the payload when it has one
 * (each key of a JSON object payload, `message.payload.pokemon equals Bulbasaur`),
 * else on the label (`message equals <label>`).
 */
export function conditionForButton(button: { label: string; payload?: string | null }): Where {
  const payload = button.payload;
  if (payload === undefined || payload === null || payload === "") {
    return { message: { equals: button.label } };
  }
  const parsed = parsedPayload(payload);
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
    const where: Where = {};
    for (const [key, value] of Object.entries(parsed as Json)) {
      if (value === null || typeof value !== "object") {
        const path = /^[A-Za-z_$][\w$]*$/.test(key) ? `message.payload.${key}` : `message.payload[${JSON.stringify(key)}]`;
        where[path] = { equals: value };
      }
    }
    if (Object.keys(where).length) return where;
  }
  if (typeof parsed === "string") return { "message.payload": { equals: parsed } };
  return { "message.payload": { equals: parsed } };
}

export function whereKey(where: Where | null | undefined): string {
  return JSON.stringify(canonical(where ?? {}));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    const out: Json = {};
    for (const key of Object.keys(value as Json).sort()) out[key] = canonical((value as Json)[key]);
    return out;
  }
  return value;
}

/** The clickable things of a node, each with its handle id. */
export interface Clickable {
  handle: string;
  label: string;
  payload?: string | null;
  kind: "quick" | "button";
}

export function clickables(node: BotNode): Clickable[] {
  const out: Clickable[] = [];
  if (node.type === "keyboard") {
    const buttons = (node.data?.buttons as QuickReply[] | undefined) ?? [];
    buttons.forEach((reply, index) => {
      if (reply && typeof reply === "object")
        out.push({ handle: `qr-${index}`, label: String(reply.label ?? ""), payload: reply.payload, kind: "quick" });
    });
  }
  if (node.type === "response") {
    const message = node.data?.message as Message | undefined;
    const add = (buttons: Button[] | null | undefined, prefix: string) =>
      (buttons ?? []).forEach((button, index) => {
        if (button && button.type === "postback")
          out.push({ handle: `${prefix}-${index}`, label: String(button.label ?? ""), payload: button.payload, kind: "button" });
      });
    if (message?.type === "text") add(message.buttons, "btn");
    if (message?.type === "cards") (message.cards ?? []).forEach((card: Card, i) => add(card.buttons, `card-${i}-btn`));
  }
  return out;
}

/** The source handle an edge is drawn from: a quick reply whose condition it is, else the node's. */
export function edgeHandle(node: BotNode, edge: Edge): string {
  if (node.type === "keyboard" && edge.where) {
    const key = whereKey(edge.where);
    for (const click of clickables(node)) if (whereKey(conditionForButton(click)) === key) return click.handle;
  }
  return "out";
}

/** The keyboard node that waits after a message node (following unconditional edges). */
export function waitingNodeAfter(flow: Flow, node: BotNode): BotNode | undefined {
  const seen = new Set<string>();
  let current: BotNode | undefined = node;
  for (let step = 0; current && step < 20; step++) {
    if (seen.has(String(current.id))) return undefined;
    seen.add(String(current.id));
    if (current.type === "keyboard") return current;
    if (!["response", "parameter", "entry"].includes(current.type)) return undefined;
    const next: Edge | undefined = (current.next ?? [])[0];
    if (!next || (current.next ?? []).length !== 1) return undefined;
    current = findNode(flow, next.nodeId);
  }
  return undefined;
}

const OPERATOR_SIGNS: Record<string, string> = {
  equals: "=",
  notEquals: "≠",
  contains: "contains",
  gt: ">",
  gte: "≥",
  lt: "<",
  lte: "≤",
  regex: "~",
};

export function describeWhere(where: Where | null | undefined): string {
  if (!where || !Object.keys(where).length) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(where)) {
    if ((key === "$or" || key === "$and") && Array.isArray(value)) {
      parts.push(`(${value.map((item) => describeWhere(item as Where)).join(key === "$or" ? t("where.or") : t("where.and"))})`);
      continue;
    }
    const path = key.replace(/^message\.payload\./, "payload.");
    if (value && typeof value === "object") {
      for (const [op, operand] of Object.entries(value as Json)) {
        if (op === "exists") parts.push(operand ? t("where.exists", { path }) : t("where.notExists", { path }));
        else parts.push(`${path} ${op === "contains" ? t("where.contains") : OPERATOR_SIGNS[op] ?? op} ${typeof operand === "string" ? operand : JSON.stringify(operand)}`);
      }
    } else parts.push(`${path}: ?`);
  }
  return parts.join(t("where.and"));
}

/** A keyboard node's input type in the current language. */
export function inputLabel(type: string): string {
  const key = `input.${type}`;
  return hasKey(key) ? t(key) : type;
}

/** One line of what a node does, for the canvas. */
export function summary(node: BotNode): string {
  const data = (node.data ?? {}) as Json;
  switch (node.type) {
    case "flow":
      return data.nodeId ? t("summary.flowNode", { flow: String(data.flowId ?? "?"), node: String(data.nodeId) }) : t("summary.flow", { flow: String(data.flowId ?? "?") });
    case "parameter":
      if (data.type === "clear") return t("summary.clear");
      return ((data.params as { key: string; value: unknown }[] | undefined) ?? [])
        .map((p) => `${p.key} = ${typeof p.value === "string" ? p.value : JSON.stringify(p.value)}`)
        .join("\n");
    case "fetch":
      return `${String(data.method ?? "GET")} ${String(data.uri ?? "")}`;
    case "sandbox":
      return `${String(data.runtime ?? "nodejs")}: ${String(data.script ?? "").split("\n")[0]}`;
    case "back":
      return `${String(data.operation ?? "pop")} ${String(data.count ?? 1)}`;
    case "manual":
      return typeof data.messages === "string" ? data.messages : t("summary.manual");
    case "keyboard":
      return t("summary.keyboard", { type: inputLabel(String(data.type ?? "any")) });
    default:
      return "";
  }
}

export interface Warning {
  level: "error" | "warning";
  text: string;
}

const LABEL_LIMITS = 20;

/** What the studio itself sees wrong in a node (the server's validate adds the rest). */
export function nodeWarnings(flow: Flow, node: BotNode, bot?: Bot): Warning[] {
  const out: Warning[] = [];
  for (const edge of node.next ?? []) {
    if (!findNode(flow, edge.nodeId)) out.push({ level: "error", text: t("warn.missingNode", { id: String(edge.nodeId) }) });
  }
  const data = (node.data ?? {}) as Json;
  if (node.type === "response") {
    const message = data.message as Message | undefined;
    if (!message) out.push({ level: "error", text: t("warn.noMessage") });
    else if (message.type === "text" && !String(message.text ?? "").trim()) out.push({ level: "warning", text: t("warn.emptyText") });
    else if (message.type === "cards") {
      const cards = message.cards ?? [];
      if (!cards.length) out.push({ level: "error", text: t("warn.noCards") });
      if (cards.length > 9) out.push({ level: "error", text: t("warn.tooManyCards", { n: cards.length }) });
    }
    const buttons: Button[] = [
      ...(message?.buttons ?? []),
      ...((message?.cards ?? []) as Card[]).flatMap((card) => card.buttons ?? []),
    ];
    for (const button of buttons) {
      if (String(button.label ?? "").length > LABEL_LIMITS)
        out.push({ level: "warning", text: t("warn.longLabel", { label: String(button.label) }) });
      if (typeof button.payload === "string" && button.payload.length > 1000)
        out.push({ level: "error", text: t("warn.payload1000") });
      if (typeof button.payload === "string" && button.payload.length > 300)
        out.push({ level: "warning", text: t("warn.payload300") });
    }
  }
  if (node.type === "keyboard") {
    const replies = (data.buttons as QuickReply[] | undefined) ?? [];
    if (replies.length > 50) out.push({ level: "error", text: t("warn.replies50") });
    if (replies.length > 10) out.push({ level: "warning", text: t("warn.replies10") });
  }
  if (node.type === "flow" && bot) {
    const target = data.flowId;
    if (target === undefined || target === "") out.push({ level: "error", text: t("warn.noFlowChosen") });
    else if (!String(target).includes("{{") && !findFlow(bot, target as Id))
      out.push({ level: "error", text: t("warn.noSuchFlow", { id: String(target) }) });
  }
  if (["nlp", "chitchat", "email", "gsheet"].includes(node.type))
    out.push({ level: "warning", text: t("warn.notRun") });
  return out;
}
