// The flow canvas (@xyflow/react). Node positions live in the canvas while a
// drag lasts and go to the bot (meta.design) when it ends, as one edit.
import {
  Background,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type Edge as RfEdge,
  type EdgeChange,
  type NodeChange,
  type OnSelectionChangeParams,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { connect, pasteNodes, removeElements, setPositions, addNode } from "../lib/edits";
import { describeWhere, edgeHandle, findFlow, newNode, nodeWarnings, typeLabel, type Warning } from "../lib/model";
import { fanSlots, labelWidth } from "../lib/fan";
import { useT } from "../lib/i18n";
import { tidy } from "../lib/layout";
import { useStudio } from "../lib/store";
import type { BotNode, Flow, Id } from "../lib/types";
import { NODE_TYPES, sameId } from "../lib/types";
import FannedEdge from "./FannedEdge";
import NodeView, { type NodeData, type StudioNode } from "./NodeView";

const nodeTypes = { studio: NodeView };
const edgeTypes = { fanned: FannedEdge };
let clipboard: BotNode[] = [];
/** The drag-and-drop payload of a palette button: the node type. */
export const DRAG_TYPE = "application/x-flowbot-node-type";

type Menu = { kind: "node"; nodeId: string; x: number; y: number } | { kind: "pane"; x: number; y: number };

function estimate(node: BotNode): { width: number; height: number } {
  const message = node.data?.message as { type?: string; cards?: { buttons?: unknown[] }[]; buttons?: unknown[]; text?: string } | undefined;
  let height = 70;
  if (message?.type === "cards") height += (message.cards ?? []).reduce((h, card) => h + 40 + 26 * (card.buttons?.length ?? 0), 0);
  else if (message?.type === "text") height += 20 * Math.min(4, String(message.text ?? "").split("\n").length) + 26 * (message.buttons?.length ?? 0);
  if (node.type === "keyboard") height += 26 * ((node.data?.buttons as unknown[] | undefined)?.length ?? 0);
  return { width: 172, height };
}

const ADDABLE = NODE_TYPES.filter((type) => type !== "entry");

function findFlowNodeType(flow: Flow, id: string): string | undefined {
  return flow.nodes.find((node) => String(node.id) === id)?.type;
}

function sameWarnings(a: Warning[], b: Warning[]): boolean {
  return a.length === b.length && a.every((w, i) => w.text === b[i].text && w.level === b[i].level);
}

export function FlowCanvas({ flowId }: { flowId: Id }) {
  return (
    <ReactFlowProvider>
      <CanvasInner flowId={flowId} />
    </ReactFlowProvider>
  );
}

function CanvasInner({ flowId }: { flowId: Id }) {
  const bot = useStudio((s) => s.bot);
  const flow = useMemo(() => (bot ? findFlow(bot, flowId) : undefined), [bot, flowId]);
  const problems = useStudio((s) => s.problems);
  const highlight = useStudio((s) => s.highlight);
  const stats = useStudio((s) => s.stats);
  const showStats = useStudio((s) => s.showStats);
  const edit = useStudio((s) => s.edit);
  const setNotice = useStudio((s) => s.setNotice);
  const setSelection = useStudio((s) => s.setSelection);
  const flowRef = useRef<Flow | undefined>(flow);
  flowRef.current = flow;
  const rf = useReactFlow();
  const t = useT();
  const [menu, setMenu] = useState<Menu | null>(null);

  // positions for nodes the file gives none (a hand-written bot): a tidy layout
  const fallback = useMemo(() => {
    if (!flow || flow.nodes.every((node) => node.meta?.design)) return new Map<string, { x: number; y: number }>();
    return tidy(flow, (id) => estimate(flow.nodes.find((n) => String(n.id) === id)!));
  }, [flow]);

  const dataCache = useRef(new Map<string, NodeData>());
  const derived = useMemo((): StudioNode[] => {
    if (!flow || !bot) return [];
    const cache = dataCache.current;
    const lit = new Set(highlight.filter((h) => sameId(h.flowId, flowId)).map((h) => String(h.nodeId)));
    const serverWarnings = new Map<string, Warning[]>();
    for (const problem of problems)
      if (sameId(problem.flowId, flowId) && problem.nodeId !== null && problem.severity !== "note") {
        const key = String(problem.nodeId);
        if (!serverWarnings.has(key)) serverWarnings.set(key, []);
        serverWarnings.get(key)!.push({
          level: problem.severity === "error" ? "error" : "warning",
          text: `${problem.channel ? `${problem.channel}: ` : ""}${problem.message}`,
        });
      }
    const visits = new Map<string, number>();
    const ended = new Map<string, number>();
    if (showStats && stats) {
      for (const n of stats.nodes) if (sameId(n.flowId, flowId)) visits.set(String(n.nodeId), n.visits);
      for (const n of stats.dropoff) if (sameId(n.flowId, flowId)) ended.set(String(n.nodeId), n.ended);
    }
    return flow.nodes.map((node) => {
      const id = String(node.id);
      const own = nodeWarnings(flow, node, bot);
      const server = serverWarnings.get(id) ?? [];
      const warnings = [...own, ...server.filter((w) => !own.some((o) => o.text === w.text))];
      const data: NodeData = {
        node,
        warnings,
        highlighted: lit.has(id),
        visits: showStats && stats ? visits.get(id) ?? 0 : undefined,
        ended: showStats && stats ? ended.get(id) ?? 0 : undefined,
      };
      const old = cache.get(id);
      const same =
        old && old.node === data.node && old.highlighted === data.highlighted && old.visits === data.visits && old.ended === data.ended && sameWarnings(old.warnings, data.warnings);
      const kept = same ? old : data;
      cache.set(id, kept);
      const design = node.meta?.design ?? fallback.get(id) ?? { x: 0, y: 0 };
      return { id, type: "studio", position: { x: design.x, y: design.y }, data: kept };
    });
  }, [flow, bot, problems, highlight, stats, showStats, fallback, flowId, t]); // t: the warnings' language

  const [nodes, setNodes] = useState<StudioNode[]>([]);
  useEffect(() => {
    setNodes((previous) => {
      const old = new Map(previous.map((node) => [node.id, node]));
      return derived.map((node) => {
        const before = old.get(node.id);
        if (!before) return node;
        if (before.data === node.data && before.position.x === node.position.x && before.position.y === node.position.y) return before;
        return { ...before, data: node.data, position: node.position };
      });
    });
  }, [derived]);

  const [edgeSelection, setEdgeSelection] = useState<Set<string>>(new Set());
  const onEdgesChange = useCallback((changes: EdgeChange<RfEdge>[]) => {
    setEdgeSelection((current) => {
      let next = current;
      for (const change of changes)
        if (change.type === "select" && change.selected !== next.has(change.id)) {
          next = new Set(next);
          if (change.selected) next.add(change.id);
          else next.delete(change.id);
        }
      return next;
    });
  }, []);
  const derivedEdges = useMemo((): RfEdge[] => {
    if (!flow) return [];
    const ids = new Set(flow.nodes.map((node) => String(node.id)));
    const counts = new Map<string, number>();
    if (showStats && stats) for (const e of stats.edges) if (sameId(e.flowId, flowId)) counts.set(`${String(e.from)}>${String(e.to)}`, e.count);
    const lit = new Set(highlight.filter((h) => sameId(h.flowId, flowId)).map((h) => String(h.nodeId)));
    const out: RfEdge[] = [];
    for (const node of flow.nodes)
      (node.next ?? []).forEach((edge, index) => {
        const target = String(edge.nodeId);
        if (!ids.has(target)) return;
        const parts = [describeWhere(edge.where ?? undefined)];
        if (edge.priority) parts.push(`P${edge.priority}`);
        if (showStats && stats) parts.push(`×${counts.get(`${String(node.id)}>${target}`) ?? 0}`);
        const label = parts.filter(Boolean).join(" · ");
        out.push({
          id: `${String(node.id)}#${index}`,
          source: String(node.id),
          sourceHandle: edgeHandle(node, edge),
          target,
          label: label || undefined,
          animated: lit.has(String(node.id)) && lit.has(target),
          className: edge.where ? "se-conditional" : "se-plain",
          type: "fanned",
          data: { index, slot: 0 },
        });
      });
    // parallel edges (same source and target) fanned out, each label readable
    const slots = fanSlots(out);
    for (const e of out) e.data = { ...e.data, slot: slots.get(e.id) ?? 0 };
    return out;
  }, [flow, stats, showStats, highlight, flowId, t]); // t: the labels' language
  const edges = useMemo(
    () => (edgeSelection.size ? derivedEdges.map((e) => (edgeSelection.has(e.id) ? { ...e, selected: true } : e)) : derivedEdges),
    [derivedEdges, edgeSelection],
  );

  const onNodesChange = useCallback((changes: NodeChange<StudioNode>[]) => {
    // removals go through onDelete (one edit for nodes and edges)
    setNodes((current) => applyNodeChanges(changes.filter((c) => c.type !== "remove"), current));
  }, []);

  const onNodeDragStop = useCallback(
    (_event: unknown, _node: StudioNode, dragged: StudioNode[]) => {
      const positions = new Map(dragged.map((node) => [node.id, node.position]));
      edit((b) => setPositions(b, flowId, positions));
    },
    [edit, flowId],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      const result = connect(useStudio.getState().bot!, flowId, connection.source, connection.sourceHandle, connection.target);
      edit(() => result.bot);
      if (result.note) setNotice({ kind: "info", text: result.note });
    },
    [edit, flowId, setNotice],
  );

  const onDelete = useCallback(
    ({ nodes: gone, edges: goneEdges }: { nodes: StudioNode[]; edges: RfEdge[] }) => {
      edit((b) => removeElements(b, flowId, gone.map((n) => n.id), goneEdges.map((e) => e.id)));
    },
    [edit, flowId],
  );

  const onBeforeDelete = useCallback(async ({ nodes: gone, edges: goneEdges }: { nodes: StudioNode[]; edges: RfEdge[] }) => {
    const kept = gone.filter((node) => node.data.node.type !== "entry");
    const keptIds = new Set(kept.map((n) => n.id));
    // edges connected to an entry node that stays are only removed when selected
    return { nodes: kept, edges: goneEdges.filter((e) => e.selected || keptIds.has(e.source) || keptIds.has(e.target)) };
  }, []);

  const onSelectionChange = useCallback(
    ({ nodes: selectedNodes, edges: selectedEdges }: OnSelectionChangeParams) => {
      setSelection({ nodes: selectedNodes.map((n) => n.id), edges: selectedEdges.map((e) => e.id) });
    },
    [setSelection],
  );

  const selectOnly = useCallback(
    (ids: string[]) => {
      const wanted = new Set(ids);
      setTimeout(() => {
        setNodes((list) => list.map((n) => ({ ...n, selected: wanted.has(n.id) })));
        setSelection({ nodes: ids, edges: [] });
      }, 0);
    },
    [setSelection],
  );

  /** A new node: at `at` (a point of the flow), else near the middle of the view. */
  const add = useCallback(
    (type: string, at?: { x: number; y: number }) => {
      const current = flowRef.current;
      if (!current) return;
      let position = at;
      if (!position) {
        const box = document.querySelector(".studio-canvas")?.getBoundingClientRect();
        const center = rf.screenToFlowPosition({ x: (box?.left ?? 0) + (box?.width ?? 800) / 2, y: (box?.top ?? 0) + (box?.height ?? 600) / 3 });
        const count = current.nodes.length % 5;
        position = { x: center.x - 120 + count * 20, y: center.y + count * 20 };
      }
      const node = newNode(current, type, position);
      edit((b) => addNode(b, flowId, node));
      // the new node alone is selected, so its form opens
      selectOnly([String(node.id)]);
    },
    [edit, flowId, rf, selectOnly],
  );

  // copies of nodes, with the canvas's positions (nodes without meta.design have layout positions)
  const copiesOf = useCallback(
    (ids: Set<string>): BotNode[] => {
      const current = flowRef.current;
      if (!current) return [];
      const pos = new Map(rf.getNodes().map((n) => [n.id, n.position]));
      return current.nodes
        .filter((node) => ids.has(String(node.id)))
        .map((node) => {
          const copy = structuredClone(node);
          const p = pos.get(String(node.id));
          return p ? { ...copy, meta: { ...(copy.meta ?? {}), design: { x: Math.round(p.x), y: Math.round(p.y) } } } : copy;
        });
    },
    [rf],
  );

  const paste = useCallback(
    (nodes: BotNode[], at?: { x: number; y: number }) => {
      if (!nodes.length) return;
      let source = nodes;
      if (at) {
        // the copies' top-left corner at the point
        const left = Math.min(...nodes.map((n) => n.meta?.design?.x ?? 0));
        const top = Math.min(...nodes.map((n) => n.meta?.design?.y ?? 0));
        source = nodes.map((n) => ({ ...n, meta: { ...(n.meta ?? {}), design: { x: (n.meta?.design?.x ?? 0) - left + at.x, y: (n.meta?.design?.y ?? 0) - top + at.y } } }));
      }
      const result = pasteNodes(useStudio.getState().bot!, flowId, source, at ? 0 : 40);
      if (!result.ids.length) return;
      edit(() => result.bot);
      selectOnly(result.ids);
    },
    [edit, flowId, selectOnly],
  );

  const copy = useCallback(
    (ids: Set<string>) => {
      clipboard = copiesOf(ids).filter((node) => node.type !== "entry");
      if (clipboard.length) setNotice({ kind: "info", text: t("canvas.copied", { n: clipboard.length }) });
    },
    [copiesOf, setNotice, t],
  );

  // the context menus: a node's (duplicate, copy, delete) and the canvas's (add a node, paste)
  const onNodeContextMenu = useCallback((event: React.MouseEvent, node: StudioNode) => {
    event.preventDefault();
    setMenu({ kind: "node", nodeId: node.id, x: event.clientX, y: event.clientY });
  }, []);
  const onPaneContextMenu = useCallback((event: React.MouseEvent | MouseEvent) => {
    event.preventDefault();
    setMenu({ kind: "pane", x: event.clientX, y: event.clientY });
  }, []);
  const closeMenu = useCallback(() => setMenu(null), []);
  useEffect(() => {
    if (!menu) return;
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && setMenu(null);
    const onDown = (event: MouseEvent) => {
      if (!(event.target as HTMLElement | null)?.closest(".studio-context-menu")) setMenu(null);
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("mousedown", onDown, true);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("mousedown", onDown, true);
    };
  }, [menu]);
  const menuAction = (action: () => void) => () => {
    setMenu(null);
    action();
  };
  const deleteNode = useCallback(
    (id: string) => {
      if (flowRef.current && findFlowNodeType(flowRef.current, id) === "entry") return setNotice({ kind: "info", text: t("menu.entryKept") });
      edit((b) => removeElements(b, flowId, [id], []));
      setSelection({ nodes: [], edges: [] });
    },
    [edit, flowId, setNotice, setSelection, t],
  );

  // drag and drop from the palette: a node where it is dropped
  const onDragOver = useCallback((event: React.DragEvent) => {
    if (!event.dataTransfer.types.includes(DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  }, []);
  const onDrop = useCallback(
    (event: React.DragEvent) => {
      const type = event.dataTransfer.getData(DRAG_TYPE);
      if (!type || !(NODE_TYPES as readonly string[]).includes(type)) return;
      event.preventDefault();
      add(type, rf.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [add, rf],
  );

  const runTidy = useCallback(() => {
    const current = flowRef.current;
    if (!current) return;
    const sizes = new Map(rf.getNodes().map((n) => [n.id, { width: n.measured?.width ?? 240, height: n.measured?.height ?? 120 }]));
    // the widest edge label leaving each node: tidy leaves room for it (fanned-out labels stay readable)
    const widest = new Map<string, number>();
    for (const e of rf.getEdges()) widest.set(e.source, Math.max(widest.get(e.source) ?? 0, labelWidth(e.label)));
    const positions = tidy(current, (id) => sizes.get(id) ?? { width: 240, height: 120 }, undefined, (id) => widest.get(id) ?? 0);
    edit((b) => setPositions(b, flowId, positions));
    setTimeout(() => rf.fitView({ duration: 200 }), 50);
  }, [edit, flowId, rf]);

  // copy / paste of the selected nodes
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (target.closest("input, textarea, select, [contenteditable=true]") || !target.closest(".studio-canvas, body"))) return;
      if (!(event.ctrlKey || event.metaKey)) return;
      const current = flowRef.current;
      if (!current) return;
      if (event.key === "c") {
        copy(new Set(useStudio.getState().selection.nodes));
      } else if (event.key === "v" && clipboard.length) {
        event.preventDefault();
        paste(clipboard);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [copy, paste]);

  // a new flow: fit it in view
  const shown = useRef<string | null>(null);
  useEffect(() => {
    if (nodes.length && shown.current !== String(flowId)) {
      shown.current = String(flowId);
      setTimeout(() => rf.fitView({ maxZoom: 1 }), 30);
    }
  }, [flowId, nodes.length, rf]);

  if (!flow) return <div className="studio-empty">{t("canvas.noFlow", { id: String(flowId) })}</div>;
  return (
    <div className="studio-canvas" data-testid="canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<StudioNode, RfEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodeContextMenu={onNodeContextMenu}
        onPaneContextMenu={onPaneContextMenu}
        onMoveStart={closeMenu}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onDelete={onDelete}
        onBeforeDelete={onBeforeDelete}
        onSelectionChange={onSelectionChange}
        deleteKeyCode={["Delete", "Backspace"]}
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        selectionKeyCode="Shift"
        minZoom={0.1}
        maxZoom={2}
        onlyRenderVisibleElements={flow.nodes.length > 150}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} />
        <MiniMap pannable zoomable nodeStrokeWidth={3} />
        <Controls />
        <Panel position="top-left" className="studio-palette" aria-label={t("canvas.paletteLabel")}>
          {ADDABLE.map((type) => (
            <button
              key={type}
              type="button"
              draggable
              onDragStart={(event) => {
                event.dataTransfer.setData(DRAG_TYPE, type);
                event.dataTransfer.effectAllowed = "copy";
              }}
              onClick={() => add(type)}
              data-testid={`add-${type}`}
              title={t("canvas.addTitle", { type: typeLabel(type) })}
            >
              {t("canvas.add", { type: typeLabel(type) })}
            </button>
          ))}
          <button type="button" onClick={runTidy} data-testid="tidy" className="studio-tidy">
            {t("canvas.tidy")}
          </button>
        </Panel>
      </ReactFlow>
      {menu ? (
        <div className="studio-context-menu" role="menu" style={{ left: menu.x, top: menu.y }} data-testid={menu.kind === "node" ? "node-menu" : "pane-menu"} onContextMenu={(e) => e.preventDefault()}>
          {menu.kind === "node" ? (
            <>
              <button type="button" role="menuitem" data-testid="menu-duplicate" disabled={findFlowNodeType(flow, menu.nodeId) === "entry"} onClick={menuAction(() => paste(copiesOf(new Set([menu.nodeId]))))}>
                {t("common.duplicate")}
              </button>
              <button type="button" role="menuitem" data-testid="menu-copy" disabled={findFlowNodeType(flow, menu.nodeId) === "entry"} onClick={menuAction(() => copy(new Set([menu.nodeId])))}>
                {t("common.copy")}
              </button>
              <button type="button" role="menuitem" className="danger" data-testid="menu-delete" disabled={findFlowNodeType(flow, menu.nodeId) === "entry"} onClick={menuAction(() => deleteNode(menu.nodeId))}>
                {t("common.delete")}
              </button>
            </>
          ) : (
            <>
              <div className="menu-heading">{t("menu.addHere")}</div>
              {ADDABLE.map((type) => (
                <button key={type} type="button" role="menuitem" data-testid={`menu-add-${type}`} onClick={menuAction(() => add(type, rf.screenToFlowPosition({ x: menu.x, y: menu.y })))}>
                  + {typeLabel(type)}
                </button>
              ))}
              {clipboard.length ? (
                <button type="button" role="menuitem" data-testid="menu-paste" onClick={menuAction(() => paste(clipboard, rf.screenToFlowPosition({ x: menu.x, y: menu.y })))}>
                  {t("menu.paste")}
                </button>
              ) : null}
            </>
          )}
        </div>
      ) : null}
    </div>
  );
}
