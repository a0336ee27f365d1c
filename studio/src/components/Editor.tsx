// The editor of one bot: top bar (save, undo/redo, import, export, panels),
// the flow list, the canvas, and the side panel.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError } from "../lib/api";
import { importFlows, splitEdgeId } from "../lib/edits";
import { findFlow, findNode, startFlowId } from "../lib/model";
import { isDirty, useStudio } from "../lib/store";
import type { Bot, Id } from "../lib/types";
import { t, useT } from "../lib/i18n";
import { FlowCanvas } from "./Canvas";
import { LanguageSwitch } from "./LanguageSwitch";
import { EdgeForm } from "./EdgeForm";
import { FlowList } from "./FlowList";
import { NodeForm } from "./NodeForm";
import { Preview } from "./Preview";
import { Stats } from "./Stats";
import { exportBot, Versions } from "./Versions";

export function Editor({ botId, flowId, navigate }: { botId: string; flowId: string | null; navigate: (path: string, replace?: boolean) => void }) {
  const bot = useStudio((s) => s.bot);
  const loadedId = useStudio((s) => s.botId);
  const load = useStudio((s) => s.load);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const t = useT();

  const reload = useCallback(async () => {
    try {
      const { bot: fresh, etag } = await api.bot(botId);
      load(botId, fresh, etag);
      setConflict(null);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [botId, load]);

  useEffect(() => {
    if (loadedId !== botId) void reload();
  }, [botId, loadedId, reload]);

  // the flow in the URL; none → the start flow
  useEffect(() => {
    if (bot && loadedId === botId && (flowId === null || !findFlow(bot, flowId))) {
      const start = startFlowId(bot);
      if (start !== undefined) navigate(`/studio/${encodeURIComponent(botId)}/flows/${encodeURIComponent(String(start))}`, true);
    }
  }, [bot, botId, flowId, loadedId, navigate]);

  const save = useCallback(async () => {
    const state = useStudio.getState();
    if (!state.bot || saving) return;
    setSaving(true);
    const draft = state.bot;
    try {
      const { answer, etag } = await api.save(botId, draft, state.etag);
      state.markSaved(draft, etag ?? (answer.revision ? `"${answer.revision}"` : state.etag));
      state.setNotice({ kind: "info", text: answer.version ? t("editor.savedVersion", { n: answer.version }) : t("editor.savedNotice") });
    } catch (e) {
      const err = e as ApiError;
      if (err.status === 412) setConflict(err.message);
      else state.setNotice({ kind: "error", text: [err.message, ...(err.problems ?? [])].join("\n") });
    } finally {
      setSaving(false);
    }
  }, [botId, saving, t]);

  // shortcuts: undo / redo / save (text fields keep their own undo)
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey)) return;
      const key = event.key.toLowerCase();
      if (key === "s") {
        event.preventDefault();
        void save();
        return;
      }
      const target = event.target as HTMLElement | null;
      if (target?.closest("input, textarea, select")) return;
      if (key === "z" && !event.shiftKey) {
        event.preventDefault();
        useStudio.getState().undo();
      } else if ((key === "z" && event.shiftKey) || key === "y") {
        event.preventDefault();
        useStudio.getState().redo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [save]);

  // the server's checks of the draft, per channel, shown on the nodes
  const setProblems = useStudio((s) => s.setProblems);
  const validateOff = useRef(false);
  useEffect(() => {
    if (!bot || validateOff.current) return;
    const timer = setTimeout(() => {
      api
        .validate(botId, bot)
        .then((answer) => setProblems(answer.problems))
        .catch((e) => {
          if ((e as ApiError).status === 404 || (e as ApiError).status === 405) validateOff.current = true;
        });
    }, 700);
    return () => clearTimeout(timer);
  }, [bot, botId, setProblems]);

  if (error) return <div className="studio-error">{error}</div>;
  if (!bot || loadedId !== botId) return <div className="studio-empty">{t("editor.loading", { id: botId })}</div>;
  const flow = flowId !== null ? findFlow(bot, flowId) : undefined;
  const open = (id: Id) => navigate(`/studio/${encodeURIComponent(botId)}/flows/${encodeURIComponent(String(id))}`);
  return (
    <div className="editor">
      <TopBar botId={botId} bot={bot} onSave={save} saving={saving} navigate={navigate} open={open} />
      {conflict ? (
        <div className="conflict" role="alert" data-testid="conflict">
          <strong>{t("conflict.title")}</strong> {conflict}
          <div>
            {t("conflict.kept")}{" "}
            <button type="button" onClick={() => exportBot(botId, useStudio.getState().bot!)}>
              {t("conflict.download")}
            </button>{" "}
            <button type="button" onClick={() => window.confirm(t("conflict.reloadConfirm")) && void reload()} data-testid="conflict-reload">
              {t("conflict.reload")}
            </button>{" "}
            <button type="button" onClick={() => setConflict(null)}>
              {t("conflict.keep")}
            </button>
          </div>
        </div>
      ) : null}
      <div className="editor-body">
        <FlowList current={flow?.id ?? ""} onOpen={open} />
        <main className="editor-main">{flow ? <FlowCanvas flowId={flow.id} /> : <div className="studio-empty">{t("editor.noFlow")}</div>}</main>
        <SidePanel flowId={flow?.id} onReload={reload} />
      </div>
      <Notice />
    </div>
  );
}

function TopBar({ botId, bot, onSave, saving, navigate, open }: { botId: string; bot: Bot; onSave: () => void; saving: boolean; navigate: (p: string) => void; open: (id: Id) => void }) {
  const dirty = useStudio(isDirty);
  const canUndo = useStudio((s) => s.past.length > 0);
  const canRedo = useStudio((s) => s.future.length > 0);
  const panel = useStudio((s) => s.panel);
  const setPanel = useStudio((s) => s.setPanel);
  const showStats = useStudio((s) => s.showStats);
  const setShowStats = useStudio((s) => s.setShowStats);
  const problems = useStudio((s) => s.problems);
  const file = useRef<HTMLInputElement>(null);
  const edit = useStudio((s) => s.edit);
  const setNotice = useStudio((s) => s.setNotice);
  const t = useT();
  const importFile = async (f: File) => {
    try {
      const data = JSON.parse(await f.text());
      const isBot = data && Array.isArray(data.flows);
      if (isBot && window.confirm(t("editor.importWholeBot", { name: f.name }))) {
        edit(() => data as Bot);
        useStudio.setState((s) => ({ revision: s.revision + 1 }));
        const start = startFlowId(data as Bot);
        if (start !== undefined) open(start);
        setNotice({ kind: "info", text: t("editor.importedBot", { name: f.name }) });
        return;
      }
      const result = importFlows(useStudio.getState().bot!, data);
      edit(() => result.bot);
      const list = result.imported.map((i) => (String(i.from) === String(i.as) ? t("editor.importedSame", { id: String(i.as) }) : t("editor.importedAs", { from: String(i.from), as: String(i.as) }))).join(", ");
      setNotice({ kind: "info", text: t("editor.imported", { list }) });
      open(result.imported[0].as);
    } catch (e) {
      setNotice({ kind: "error", text: t("editor.importFailed", { name: f.name, error: (e as Error).message }) });
    }
  };
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.filter((p) => p.severity === "warning").length;
  return (
    <header className="topbar">
      <button type="button" className="link" onClick={() => navigate("/studio")}>
        {t("editor.back")}
      </button>
      <strong className="bot-title">{bot.title ?? botId}</strong>
      <span className={`dirty${dirty ? " on" : ""}`} data-testid="dirty" data-state={dirty ? "dirty" : "saved"}>
        {dirty ? t("editor.dirty") : t("editor.saved")}
      </span>
      <button type="button" onClick={() => useStudio.getState().undo()} disabled={!canUndo} title="Ctrl+Z" data-testid="undo">
        {t("editor.undo")}
      </button>
      <button type="button" onClick={() => useStudio.getState().redo()} disabled={!canRedo} title="Ctrl+Shift+Z" data-testid="redo">
        {t("editor.redo")}
      </button>
      <button type="button" className="primary" onClick={onSave} disabled={saving || !dirty} data-testid="save" title="Ctrl+S">
        {saving ? t("editor.saving") : t("editor.save")}
      </button>
      <span className="spacer" />
      <button type="button" className={`tab${panel === "problems" ? " on" : ""}`} onClick={() => setPanel("problems")} data-testid="tab-problems">
        {errors ? `⛔ ${errors}` : ""} {warnings ? `⚠ ${warnings}` : ""} {!errors && !warnings ? t("editor.checksOk") : ""}
      </button>
      <button type="button" className={`tab${panel === "form" ? " on" : ""}`} onClick={() => setPanel("form")} data-testid="tab-form">
        {t("editor.tabEdit")}
      </button>
      <button type="button" className={`tab${panel === "preview" ? " on" : ""}`} onClick={() => setPanel("preview")} data-testid="tab-preview">
        {t("editor.tabPreview")}
      </button>
      <button type="button" className={`tab${panel === "versions" ? " on" : ""}`} onClick={() => setPanel("versions")} data-testid="tab-versions">
        {t("editor.tabVersions")}
      </button>
      <button
        type="button"
        className={`tab${panel === "stats" ? " on" : ""}`}
        onClick={() => {
          setPanel("stats");
          setShowStats(true);
        }}
        data-testid="tab-stats"
      >
        {t("editor.tabStats")}
      </button>
      {showStats ? (
        <button type="button" className="link" onClick={() => setShowStats(false)} title={t("editor.hideStatsTitle")}>
          {t("editor.hideStats")}
        </button>
      ) : null}
      <button type="button" onClick={() => file.current?.click()} data-testid="import">
        {t("editor.import")}
      </button>
      <input
        ref={file}
        type="file"
        accept=".json,application/json"
        hidden
        data-testid="import-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void importFile(f);
          e.target.value = "";
        }}
      />
      <button type="button" onClick={() => exportBot(botId, useStudio.getState().bot!)} data-testid="export">
        {t("editor.export")}
      </button>
      <LanguageSwitch />
    </header>
  );
}

function SidePanel({ flowId, onReload }: { flowId: Id | undefined; onReload: () => void }) {
  const panel = useStudio((s) => s.panel);
  return (
    <aside className="side-panel" data-testid="side-panel">
      {panel === "form" ? <SelectionForm flowId={flowId} /> : null}
      {panel === "preview" ? <Preview /> : null}
      {panel === "versions" ? <Versions onReload={onReload} /> : null}
      {panel === "stats" ? <Stats /> : null}
      {panel === "problems" ? <Problems /> : null}
    </aside>
  );
}

function SelectionForm({ flowId }: { flowId: Id | undefined }) {
  const bot = useStudio((s) => s.bot)!;
  const selection = useStudio((s) => s.selection);
  const flow = flowId !== undefined ? findFlow(bot, flowId) : undefined;
  const t = useT();
  if (!flow) return null;
  if (selection.nodes.length === 1 && !selection.edges.length) {
    const node = findNode(flow, selection.nodes[0]);
    if (node) return <NodeForm flowId={flow.id} node={node} />;
  }
  if (selection.edges.length === 1 && !selection.nodes.length) {
    const [owner] = splitEdgeId(selection.edges[0]);
    if (findNode(flow, owner)) return <EdgeForm flow={flow} edgeId={selection.edges[0]} />;
  }
  if (selection.nodes.length + selection.edges.length > 1)
    return <p className="muted">{t("help.selected", { nodes: selection.nodes.length, edges: selection.edges.length })}</p>;
  return (
    <div className="help">
      <h3>{flow.title ?? t("common.flowTitle", { id: String(flow.id) })}</h3>
      <p className="muted">{t("help.select")}</p>
      <p className="muted">{t("help.keys")}</p>
    </div>
  );
}

function Problems() {
  const problems = useStudio((s) => s.problems);
  const t = useT();
  return (
    <div className="problems" data-testid="problems">
      <h3>{t("problems.title", { n: problems.length })}</h3>
      {!problems.length ? <p className="muted">{t("problems.none")}</p> : null}
      <ul>
        {problems.map((p, i) => (
          <li key={i} className={`problem-${p.severity}`}>
            <strong>{severityLabel(p.severity)}</strong> {p.channel ? `[${p.channel}] ` : ""}
            {p.flowId !== null ? `${t("common.flow", { id: String(p.flowId) })} ` : ""}
            {p.nodeId !== null ? `${t("problems.node", { id: String(p.nodeId) })} ` : ""}
            <code>{p.path}</code>: {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function severityLabel(severity: string): string {
  return severity === "error" || severity === "warning" || severity === "note" ? t(`severity.${severity}`) : severity;
}

function Notice() {
  const notice = useStudio((s) => s.notice);
  const setNotice = useStudio((s) => s.setNotice);
  useEffect(() => {
    if (notice?.kind === "info") {
      const t = setTimeout(() => setNotice(null), 4000);
      return () => clearTimeout(t);
    }
  }, [notice, setNotice]);
  if (!notice) return null;
  return (
    <div className={`notice notice-${notice.kind}`} role="status" data-testid="notice" onClick={() => setNotice(null)}>
      {notice.text}
    </div>
  );
}
