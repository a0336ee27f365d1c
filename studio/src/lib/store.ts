// The studio's state: the bot being edited, its undo/redo history (whole-bot
// snapshots with structural sharing: an edit copies only the flow and node it
// changes), and what the panels show.
import { create } from "zustand";
import type { Problem, Stats } from "./api";
import type { Bot, BotNode, Flow, Id } from "./types";
import { sameId } from "./types";

const HISTORY = 300;
const COALESCE_MS = 1200;

export interface Highlight {
  flowId: Id;
  nodeId: Id;
}

export interface StudioState {
  botId: string | null;
  bot: Bot | null;
  etag: string | null;
  saved: Bot | null; // the bot as last loaded or saved
  past: Bot[];
  future: Bot[];
  coalesce: { key: string; at: number } | null;
  revision: number; // bumps when the bot is replaced from outside a form (undo, load)
  problems: Problem[];
  highlight: Highlight[];
  stats: Stats | null;
  showStats: boolean;
  notice: { kind: "info" | "error"; text: string } | null;
  selection: { nodes: string[]; edges: string[] };
  panel: "form" | "preview" | "versions" | "stats" | "problems";

  load(botId: string, bot: Bot, etag: string | null): void;
  edit(change: (bot: Bot) => Bot, coalesce?: string): void;
  undo(): void;
  redo(): void;
  markSaved(bot: Bot, etag: string | null): void;
  setProblems(problems: Problem[]): void;
  setHighlight(highlight: Highlight[]): void;
  setStats(stats: Stats | null): void;
  setShowStats(show: boolean): void;
  setNotice(notice: StudioState["notice"]): void;
  setSelection(selection: StudioState["selection"]): void;
  setPanel(panel: StudioState["panel"]): void;
}

export const useStudio = create<StudioState>()((set, get) => ({
  botId: null,
  bot: null,
  etag: null,
  saved: null,
  past: [],
  future: [],
  coalesce: null,
  revision: 0,
  problems: [],
  highlight: [],
  stats: null,
  showStats: false,
  notice: null,
  selection: { nodes: [], edges: [] },
  panel: "form",

  load(botId, bot, etag) {
    set({ botId, bot, etag, saved: bot, past: [], future: [], coalesce: null, revision: get().revision + 1, problems: [], highlight: [] });
  },

  edit(change, coalesce) {
    const { bot, past, coalesce: last } = get();
    if (!bot) return;
    const next = change(bot);
    if (next === bot) return;
    const now = Date.now();
    const merge = coalesce !== undefined && last !== null && last.key === coalesce && now - last.at < COALESCE_MS;
    set({
      bot: next,
      past: merge ? past : [...past, bot].slice(-HISTORY),
      future: [],
      coalesce: coalesce !== undefined ? { key: coalesce, at: now } : null,
    });
  },

  undo() {
    const { bot, past, future, revision } = get();
    if (!bot || !past.length) return;
    set({ bot: past[past.length - 1], past: past.slice(0, -1), future: [bot, ...future], coalesce: null, revision: revision + 1 });
  },

  redo() {
    const { bot, past, future, revision } = get();
    if (!bot || !future.length) return;
    set({ bot: future[0], past: [...past, bot], future: future.slice(1), coalesce: null, revision: revision + 1 });
  },

  markSaved(bot, etag) {
    set({ saved: bot, etag });
  },
  setProblems: (problems) => set({ problems }),
  setHighlight: (highlight) => set({ highlight }),
  setStats: (stats) => set({ stats }),
  setShowStats: (showStats) => set({ showStats }),
  setNotice: (notice) => set({ notice }),
  setSelection: (selection) => {
    const now = get().selection;
    if (now.nodes.join() === selection.nodes.join() && now.edges.join() === selection.edges.join()) return;
    set({ selection });
  },
  setPanel: (panel) => set({ panel }),
}));

// --- edits with structural sharing ------------------------------------------------

export function mapFlow(bot: Bot, flowId: Id, change: (flow: Flow) => Flow): Bot {
  let changed = false;
  const flows = bot.flows.map((flow) => {
    if (!sameId(flow.id, flowId)) return flow;
    const next = change(flow);
    if (next !== flow) changed = true;
    return next;
  });
  return changed ? { ...bot, flows } : bot;
}

export function mapNodes(flow: Flow, ids: Set<string>, change: (node: BotNode) => BotNode): Flow {
  let changed = false;
  const nodes = flow.nodes.map((node) => {
    if (!ids.has(String(node.id))) return node;
    const next = change(node);
    if (next !== node) changed = true;
    return next;
  });
  return changed ? { ...flow, nodes } : flow;
}

export function mapNode(bot: Bot, flowId: Id, nodeId: Id, change: (node: BotNode) => BotNode): Bot {
  return mapFlow(bot, flowId, (flow) => mapNodes(flow, new Set([String(nodeId)]), change));
}

export const editFlow = (flowId: Id, change: (flow: Flow) => Flow, coalesce?: string) =>
  useStudio.getState().edit((bot) => mapFlow(bot, flowId, change), coalesce);

export const editNode = (flowId: Id, nodeId: Id, change: (node: BotNode) => BotNode, coalesce?: string) =>
  useStudio.getState().edit((bot) => mapNode(bot, flowId, nodeId, change), coalesce);

export const isDirty = (state: StudioState): boolean => state.bot !== null && state.bot !== state.saved;
