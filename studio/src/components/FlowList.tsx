// The flow list: start and fallback marked; create, rename, duplicate, delete,
// set as start / fallback. Virtualised (fixed-height rows): a bot of 1,000 flows
// renders only the rows in view.
import { memo, useMemo, useRef, useState } from "react";
import { createFlow, deleteFlow, duplicateFlow, renameFlow, setFallbackFlow, setStartFlow } from "../lib/edits";
import { fallbackFlowId, startFlowId } from "../lib/model";
import { useStudio } from "../lib/store";
import type { Flow, Id } from "../lib/types";
import { sameId } from "../lib/types";
import { useT } from "../lib/i18n";

const ROW = 34;

export function FlowList({ current, onOpen }: { current: Id; onOpen: (flowId: Id) => void }) {
  const bot = useStudio((s) => s.bot)!;
  const edit = useStudio((s) => s.edit);
  const setNotice = useStudio((s) => s.setNotice);
  const [filter, setFilter] = useState("");
  const t = useT();
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  const box = useRef<HTMLDivElement>(null);
  const start = startFlowId(bot);
  const fallback = fallbackFlowId(bot);
  const flows = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? bot.flows.filter((flow) => `${String(flow.id)} ${flow.title ?? ""}`.toLowerCase().includes(f)) : bot.flows;
  }, [bot.flows, filter]);
  const first = Math.max(0, Math.floor(scroll / ROW) - 5);
  const last = Math.min(flows.length, Math.ceil((scroll + height) / ROW) + 5);
  const add = () => {
    const result = createFlow(bot, t("common.flowTitle", { id: bot.flows.length + 1 }));
    edit(() => result.bot);
    onOpen(result.flow.id);
  };
  return (
    <aside className="flow-list" data-testid="flow-list">
      <div className="flow-list-head">
        <strong>{t("flows.title")}</strong> <span className="muted">{bot.flows.length}</span>
        <button type="button" onClick={add} data-testid="new-flow">
          {t("flows.add")}
        </button>
      </div>
      <input className="flow-filter" placeholder={t("flows.filter")} value={filter} onChange={(e) => setFilter(e.target.value)} />
      <div
        className="flow-rows"
        ref={(el) => {
          box.current = el;
          if (el && el.clientHeight && el.clientHeight !== height) setHeight(el.clientHeight);
        }}
        onScroll={(e) => setScroll(e.currentTarget.scrollTop)}
      >
        <div style={{ height: flows.length * ROW, position: "relative" }}>
          {flows.slice(first, last).map((flow, i) => (
            <FlowRow
              key={String(flow.id)}
              flow={flow}
              top={(first + i) * ROW}
              active={sameId(flow.id, current)}
              isStart={sameId(flow.id, start)}
              isFallback={sameId(flow.id, fallback)}
              onOpen={onOpen}
              onRename={(title) => edit((b) => renameFlow(b, flow.id, title))}
              onDuplicate={() => {
                const result = duplicateFlow(bot, flow.id);
                edit(() => result.bot);
                if (result.flow) onOpen(result.flow.id);
              }}
              onDelete={() => {
                const result = deleteFlow(bot, flow.id);
                if (result.refused) return setNotice({ kind: "error", text: result.refused });
                if (!window.confirm(t("flows.deleteConfirm", { title: String(flow.title ?? flow.id) }))) return;
                edit(() => result.bot);
                if (sameId(flow.id, current)) onOpen(startFlowId(result.bot)!);
              }}
              onStart={() => edit((b) => setStartFlow(b, flow.id))}
              onFallback={() => edit((b) => setFallbackFlow(b, flow.id))}
            />
          ))}
        </div>
      </div>
    </aside>
  );
}

interface RowProps {
  flow: Flow;
  top: number;
  active: boolean;
  isStart: boolean;
  isFallback: boolean;
  onOpen: (id: Id) => void;
  onRename: (title: string) => void;
  onDuplicate: () => void;
  onDelete: () => void;
  onStart: () => void;
  onFallback: () => void;
}

const FlowRow = memo(function FlowRow({ flow, top, active, isStart, isFallback, onOpen, onRename, onDuplicate, onDelete, onStart, onFallback }: RowProps) {
  const [renaming, setRenaming] = useState(false);
  const [menu, setMenu] = useState(false);
  const t = useT();
  return (
    <div className={`flow-row${active ? " active" : ""}`} style={{ top, height: ROW }} data-testid="flow-row" data-flow-id={String(flow.id)}>
      {renaming ? (
        <input
          autoFocus
          defaultValue={flow.title ?? ""}
          data-testid="flow-rename-input"
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              onRename(e.currentTarget.value);
              setRenaming(false);
            } else if (e.key === "Escape") setRenaming(false);
          }}
          onBlur={(e) => {
            onRename(e.currentTarget.value);
            setRenaming(false);
          }}
        />
      ) : (
        <button type="button" className="flow-open" onClick={() => onOpen(flow.id)} onDoubleClick={() => setRenaming(true)} title={t("common.flow", { id: String(flow.id) })}>
          <span className="flow-title">{flow.title || t("common.flowTitle", { id: String(flow.id) })}</span>
          {isStart ? <span className="tag tag-start" title={t("flows.startTitle")}>{t("flows.start")}</span> : null}
          {isFallback ? <span className="tag tag-fallback" title={t("flows.fallbackTitle")}>{t("flows.fallback")}</span> : null}
        </button>
      )}
      <button type="button" className="flow-menu-button" aria-label={t("flows.actions")} data-testid="flow-menu" onClick={() => setMenu(!menu)}>
        ⋯
      </button>
      {menu ? (
        <div className="flow-menu" onMouseLeave={() => setMenu(false)}>
          <button type="button" onClick={() => (setRenaming(true), setMenu(false))}>{t("flows.rename")}</button>
          <button type="button" onClick={() => (onDuplicate(), setMenu(false))}>{t("common.duplicate")}</button>
          <button type="button" disabled={isStart} onClick={() => (onStart(), setMenu(false))}>{t("flows.setStart")}</button>
          <button type="button" disabled={isFallback} onClick={() => (onFallback(), setMenu(false))}>{t("flows.setFallback")}</button>
          <button type="button" className="danger" onClick={() => (onDelete(), setMenu(false))}>{t("common.delete")}</button>
        </div>
      ) : null}
    </div>
  );
});
