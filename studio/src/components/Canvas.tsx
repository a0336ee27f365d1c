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
import { describeWhere, edgeHandle, findFlow, newNode, nodeWarnings, TYPE_LABELS, type Warning } from "../lib/model";
import { tidy } from "../lib/layout";
import { useStudio } from "../lib/store";
import type { BotNode, Flow, Id } from "../lib/types";
import { NODE_TYPES, sameId } from "../lib/types";
import NodeView, { type NodeData, type StudioNode } from "./NodeView";

const nodeTypes = { studio: NodeView };
let clipboard: BotNode[] = [];

function estimate(node: BotNode): { width: number; height: number } {
  const message = node.data?.message as { type?: string; cards?: { buttons?: unknown[] }[]; buttons?: unknown[]; text?: string } | undefined;
  let height = 70;
  if (message?.type === "cards") height += (message.cards ?? []).reduce((h, card) => h + 40 + 26 * (card.buttons?.length ?? 0), 0);
  else if (message?.type === "text") height += 20 * Math.min(4, String(message.text ?? "").split("\n").length) + 26 * (message.buttons?.length ?? 0);
  if (node.type === "keyboard") height += 26 * ((node.data?.buttons as unknown[] | undefined)?.length ?? 0);
  return { width: 172, height };
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
  }, [flow, bot, problems, highlight, stats, showStats, fallback, flowId]);

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
          data: { index },
        });
      });
    return out;
  }, [flow, stats, showStats, highlight, flowId]);
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

  const add = useCallback(
    (type: string) => {
      const current = flowRef.current;
      if (!current) return;
      const box = document.querySelector(".studio-canvas")?.getBoundingClientRect();
      const center = rf.screenToFlowPosition({ x: (box?.left ?? 0) + (box?.width ?? 800) / 2, y: (box?.top ?? 0) + (box?.height ?? 600) / 3 });
      const count = current.nodes.length % 5;
      const node = newNode(current, type, { x: center.x - 120 + count * 20, y: center.y + count * 20 });
      edit((b) => addNode(b, flowId, node));
      // the new node alone is selected, so its form opens
      setTimeout(() => {
        setNodes((list) => list.map((n) => ({ ...n, selected: n.id === String(node.id) })));
        setSelection({ nodes: [String(node.id)], edges: [] });
      }, 0);
    },
    [edit, flowId, rf, setSelection],
  );

  const runTidy = useCallback(() => {
    const current = flowRef.current;
    if (!current) return;
    const sizes = new Map(rf.getNodes().map((n) => [n.id, { width: n.measured?.width ?? 240, height: n.measured?.height ?? 120 }]));
    const positions = tidy(current, (id) => sizes.get(id) ?? { width: 240, height: 120 });
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
        const ids = new Set(useStudio.getState().selection.nodes);
        clipboard = current.nodes.filter((node) => ids.has(String(node.id))).map((node) => structuredClone(node));
        // positions from the canvas (nodes without meta.design have layout positions)
        const pos = new Map(rf.getNodes().map((n) => [n.id, n.position]));
        clipboard = clipboard.map((node) => {
          const p = pos.get(String(node.id));
          return p ? { ...node, meta: { ...(node.meta ?? {}), design: { x: Math.round(p.x), y: Math.round(p.y) } } } : node;
        });
        if (clipboard.length) setNotice({ kind: "info", text: `copied ${clipboard.length} node${clipboard.length > 1 ? "s" : ""}` });
      } else if (event.key === "v" && clipboard.length) {
        event.preventDefault();
        const result = pasteNodes(useStudio.getState().bot!, flowId, clipboard);
        edit(() => result.bot);
        const ids = new Set(result.ids);
        setTimeout(() => {
          setNodes((list) => list.map((n) => ({ ...n, selected: ids.has(n.id) })));
          setSelection({ nodes: result.ids, edges: [] });
        }, 0);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [edit, flowId, rf, setNotice, setSelection]);

  // a new flow: fit it in view
  const shown = useRef<string | null>(null);
  useEffect(() => {
    if (nodes.length && shown.current !== String(flowId)) {
      shown.current = String(flowId);
      setTimeout(() => rf.fitView({ maxZoom: 1 }), 30);
    }
  }, [flowId, nodes.length, rf]);

  if (!flow) return <div className="studio-empty">No flow {String(flowId)} in this bot.</div>;
  return (
    <div className="studio-canvas" data-testid="canvas">
      <ReactFlow<StudioNode, RfEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
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
        <Panel position="top-left" className="studio-palette">
          {NODE_TYPES.filter((t) => t !== "entry").map((type) => (
            <button key={type} type="button" onClick={() => add(type)} data-testid={`add-${type}`} title={`add a ${TYPE_LABELS[type]} node`}>
              + {TYPE_LABELS[type]}
            </button>
          ))}
          <button type="button" onClick={runTidy} data-testid="tidy" className="studio-tidy">
            ⇶ Tidy
          </button>
        </Panel>
      </ReactFlow>
    </div>
  );
}
